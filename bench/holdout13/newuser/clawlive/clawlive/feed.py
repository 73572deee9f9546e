"""Reads sessions and exec processes from the gateway's /tools/invoke endpoint."""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.request
from typing import Any

GATEWAY = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")


class FeedError(Exception):
    """A refresh that did not work; `kind` picks the footer message."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail or kind)
        self.kind = kind


def _invoke(tool: str, args: dict[str, Any], session_key: str | None = None, wait: float = 5.0) -> dict[str, Any]:
    body: dict[str, Any] = {"tool": tool, "args": args}
    if session_key:
        body["sessionKey"] = session_key
    req = urllib.request.Request(
        GATEWAY.rstrip("/") + "/tools/invoke",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + TOKEN},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=wait) as resp:
            payload = json.load(resp)
    except (socket.timeout, TimeoutError) as exc:
        raise FeedError("timeout", str(exc)) from exc
    except urllib.error.HTTPError as exc:
        raise FeedError("auth" if exc.code in (401, 403) else "refused", str(exc)) from exc
    except urllib.error.URLError as exc:
        raise FeedError("refused", str(exc.reason)) from exc
    except json.JSONDecodeError as exc:
        raise FeedError("bad-json", str(exc)) from exc
    result = payload.get("result") or {}
    details = result.get("details")
    if isinstance(details, dict):
        return details
    content = result.get("content") or [{}]
    try:
        return json.loads(content[0].get("text") or "{}")
    except json.JSONDecodeError as exc:
        raise FeedError("bad-json", str(exc)) from exc


def sessions(limit: int = 50) -> list[dict[str, Any]]:
    return list(_invoke("sessions_list", {"limit": limit}).get("sessions", []))


def processes(session_key: str) -> list[dict[str, Any]]:
    """Background exec sessions started from one agent session."""
    return list(_invoke("process", {"action": "list"}, session_key=session_key).get("sessions", []))
