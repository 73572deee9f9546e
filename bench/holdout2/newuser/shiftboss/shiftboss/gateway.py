"""Talk to the OpenClaw gateway over its HTTP tool endpoint."""

from __future__ import annotations

import json
import os
from typing import Any

import httpx

GATEWAY = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")


class GatewayError(RuntimeError):
    pass


def invoke(tool: str, args: dict[str, Any] | None = None, *, timeout: float = 30.0) -> dict[str, Any]:
    """POST /tools/invoke and return the tool's result (``{content, details}``)."""
    resp = httpx.post(
        f"{GATEWAY}/tools/invoke",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={"tool": tool, "args": args or {}, "sessionKey": "main"},
        timeout=timeout,
    )
    body = resp.json()
    if not body.get("ok"):
        err = body.get("error") or {}
        raise GatewayError(f"{tool}: {err.get('type')}: {err.get('message')}")
    return body["result"]


def _payload(result: dict[str, Any]) -> dict[str, Any]:
    details = result.get("details")
    if isinstance(details, dict):
        return details
    for part in result.get("content") or []:
        if part.get("type") == "text":
            return json.loads(part["text"])
    return {}


def list_sessions(active_minutes: int = 120) -> list[dict[str, Any]]:
    """Rows of ``sessions_list``, newest first."""
    payload = _payload(invoke("sessions_list", {"activeMinutes": active_minutes, "limit": 200}))
    return [row for row in payload.get("sessions") or [] if isinstance(row, dict)]


def send(session_key: str, message: str, wait_seconds: int = 0) -> dict[str, Any]:
    """``sessions_send``; the answer has its own status (ok, accepted, timeout, error, forbidden)."""
    return _payload(invoke("sessions_send", {"sessionKey": session_key, "message": message,
                                             "timeoutSeconds": wait_seconds}))


def spawn(task: str, label: str) -> dict[str, Any]:
    return _payload(invoke("sessions_spawn", {"task": task, "label": label, "mode": "run"}))
