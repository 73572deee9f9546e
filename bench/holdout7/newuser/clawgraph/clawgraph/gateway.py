"""The few tools the graph calls, over ``POST /tools/invoke`` with the standard library."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

BASE = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")


class ToolError(RuntimeError):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        error = body.get("error") or {}
        super().__init__(f"HTTP {status}: {error.get('type')}: {error.get('message')}")
        self.status = status
        self.type = error.get("type")


def invoke(tool: str, args: dict[str, Any], session_key: str = "main") -> dict[str, Any]:
    data = json.dumps({"tool": tool, "args": args, "sessionKey": session_key}).encode()
    req = urllib.request.Request(
        f"{BASE}/tools/invoke", data=data, method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            body = json.load(resp)
    except urllib.error.HTTPError as exc:
        raise ToolError(exc.code, json.loads(exc.read() or b"{}")) from exc
    result = body["result"]
    details = result.get("details")
    if isinstance(details, dict):
        return details
    return json.loads(result["content"][0]["text"])


def find_session(key: str) -> dict[str, Any] | None:
    listing = invoke("sessions_list", {"search": key, "limit": 20})
    return next((row for row in listing.get("sessions", []) if row.get("key") == key), None)


def wait_children(run_ids: list[str], seconds: int = 30) -> dict[str, Any]:
    """``agents_wait``: ``{completed: [{runId, status, ...}], pending, errors}``."""
    return invoke("agents_wait", {"ids": run_ids, "timeoutSeconds": seconds})


def session_status(key: str) -> dict[str, Any]:
    return invoke("session_status", {"sessionKey": key})


def processes(key: str) -> list[dict[str, Any]]:
    """Background exec sessions the agent of ``key`` started (the ``process`` tool, action ``list``)."""
    listing = invoke("process", {"action": "list"}, session_key=key)
    return list(listing.get("sessions", [])) if isinstance(listing, dict) else list(listing)
