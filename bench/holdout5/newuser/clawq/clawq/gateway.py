"""The worker's way to the gateway: ``POST /tools/invoke``, one tool per call."""

from __future__ import annotations

import json
from typing import Any

import requests

from . import settings


class ToolError(RuntimeError):
    """The gateway refused the call or the tool failed."""


def invoke(tool: str, args: dict[str, Any] | None = None, session_key: str = "main") -> dict[str, Any]:
    """Run one tool and return its payload (``details``, else the JSON text of the first block)."""
    resp = requests.post(
        f"{settings.GATEWAY_URL}/tools/invoke",
        json={"tool": tool, "args": args or {}, "sessionKey": session_key},
        headers={"Authorization": f"Bearer {settings.GATEWAY_TOKEN}"},
        timeout=settings.SEND_TIMEOUT_S + 15,
    )
    try:
        body = resp.json()
    except ValueError:
        raise ToolError(f"{tool}: HTTP {resp.status_code}") from None
    if not resp.ok or not body.get("ok"):
        err = body.get("error") or {}
        raise ToolError(f"{tool}: {err.get('type', resp.status_code)}: {err.get('message', '')}")
    result = body["result"]
    details = result.get("details")
    if isinstance(details, dict):
        return details
    return json.loads(result["content"][0]["text"])


def list_sessions(active_minutes: int | None = None) -> list[dict[str, Any]]:
    """Rows of ``sessions_list``; each has ``key`` and, once a run started, ``status``."""
    args: dict[str, Any] = {"limit": 200}
    if active_minutes:
        args["activeMinutes"] = active_minutes
    return list(invoke("sessions_list", args).get("sessions", []))


def send(key: str, message: str) -> dict[str, Any]:
    """``sessions_send``, waited; the reply's ``status`` is ``ok``, ``timeout``, ``error``, ``no_reply``..."""
    return invoke("sessions_send", {"sessionKey": key, "message": message, "timeoutSeconds": settings.SEND_TIMEOUT_S})
