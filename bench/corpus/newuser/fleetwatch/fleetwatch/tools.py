"""Call OpenClaw agent tools over HTTP (POST /tools/invoke)."""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from typing import Any

BASE_URL = os.environ.get("OPENCLAW_HTTP_URL", "http://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")
log = logging.getLogger(__name__)


def invoke(tool: str, args: dict[str, Any] | None = None, session_key: str = "main") -> dict[str, Any]:
    body = json.dumps({"tool": tool, "args": args or {}, "sessionKey": session_key}).encode()
    req = urllib.request.Request(
        f"{BASE_URL}/tools/invoke",
        data=body,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        data = json.loads(resp.read())
    if not data.get("ok"):
        raise RuntimeError(f"{tool}: {data.get('error')}")
    return data["result"]


def list_sessions(active_minutes: int | None = None) -> list[dict[str, Any]]:
    args: dict[str, Any] = {}
    if active_minutes:
        args["activeMinutes"] = active_minutes
    result = invoke("sessions_list", args)
    details = result.get("details")
    if isinstance(details, dict) and "sessions" in details:
        return details["sessions"]
    # older gateways: only the text copy
    text = result["content"][0]["text"]
    return json.loads(text).get("sessions", [])


def stuck_sessions() -> list[str]:
    keys = []
    for row in list_sessions(active_minutes=240):
        status = (row.get("status") or "").strip().lower()
        if status == "timeout" or status == "failed":
            keys.append(row["key"])
    return keys


def send(key: str, message: str, wait_seconds: int = 60) -> str:
    """Send a message to a session and return the send's own status."""
    result = invoke("sessions_send", {"sessionKey": key, "message": message, "timeoutSeconds": wait_seconds})
    reply = result.get("details") or {}
    if reply.get("status") == "timeout":
        # the session is still working, our wait just ran out
        log.debug("no answer from %s within %ss", key, wait_seconds)
    return str(reply.get("status") or "error")


def spawn(task: str, label: str) -> str | None:
    result = invoke("sessions_spawn", {"task": task, "label": label})
    details = result.get("details") or {}
    if details.get("status") != "accepted":
        return None
    return details.get("childSessionKey")
