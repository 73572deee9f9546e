"""The two ways the bridge talks to OpenClaw: POST /tools/invoke and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from typing import Any, Iterator

GATEWAY = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")


class GatewayDown(RuntimeError):
    """The gateway could not be reached or refused the call."""


def invoke(tool: str, args: dict[str, Any], timeout: float = 15.0, session_key: str | None = None) -> dict[str, Any]:
    """One tool call; the payload from ``details``, else from the text content."""
    call: dict[str, Any] = {"tool": tool, "args": args}
    if session_key:
        call["sessionKey"] = session_key
    body = json.dumps(call).encode()
    req = urllib.request.Request(
        GATEWAY + "/tools/invoke",
        data=body,
        headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            reply = json.load(resp)
    except (urllib.error.URLError, TimeoutError) as exc:
        raise GatewayDown(str(exc)) from exc
    if not reply.get("ok"):
        err = reply.get("error") or {}
        raise GatewayDown("%s: %s" % (err.get("type"), err.get("message")))
    result = reply.get("result") or {}
    if isinstance(result.get("details"), dict):
        return result["details"]
    content = result.get("content") or []
    return json.loads(content[0]["text"]) if content else {}


def sessions() -> Iterator[dict[str, Any]]:
    """Every session row visible to the bridge's token, page by page."""
    offset = 0
    while True:
        page = invoke("sessions_list", {"limit": 200, "offset": offset})
        yield from page.get("sessions", [])
        if not page.get("hasMore"):
            return
        offset = page["nextOffset"]


def abort(key: str) -> bool:
    """Stop a session's run through the CLI (sessions.abort is not a tool)."""
    proc = subprocess.run(
        ["openclaw", "gateway", "call", "sessions.abort", "--params", json.dumps({"key": key}), "--json"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return proc.returncode == 0


def processes(session_key: str = "main") -> list[dict[str, Any]]:
    """Background exec sessions of an agent session (the ``process`` tool, action ``list``).

    Only ``details`` carries them as data; the text content is a human listing.
    """
    return invoke("process", {"action": "list"}, timeout=10.0, session_key=session_key).get("sessions", [])
