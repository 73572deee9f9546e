"""Function tools offered to the model: OpenClaw sessions, reached through the gateway."""

from __future__ import annotations

import json
import os
from typing import Any, Callable

import httpx

GATEWAY = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
_http = httpx.Client(
    base_url=GATEWAY,
    headers={"Authorization": f"Bearer {os.environ.get('OPENCLAW_GATEWAY_TOKEN', '')}"},
    timeout=90,
)

# What the model may ask for; matched against the status of each sessions_list row.
SESSION_STATUS_ENUM = ["running", "queued", "done", "failed", "killed", "timeout"]


def _invoke(tool: str, args: dict[str, Any]) -> dict[str, Any]:
    resp = _http.post("/tools/invoke", json={"tool": tool, "args": args})
    body = resp.json()
    if not body.get("ok"):
        raise RuntimeError(body.get("error", {}).get("message") or f"HTTP {resp.status_code}")
    result = body["result"]
    return result.get("details") or json.loads(result["content"][0]["text"])


def list_openclaw_sessions(status: str | None = None, agent: str | None = None) -> str:
    rows = _invoke("sessions_list", {"limit": 100})["sessions"]
    if agent:
        rows = [r for r in rows if r["key"].startswith(f"agent:{agent}:")]
    if status:
        rows = [r for r in rows if r.get("status") == status]
    keep = ("key", "label", "status", "endedAt", "abortedLastRun")
    return json.dumps([{k: r[k] for k in keep if k in r} for r in rows])


def message_openclaw_session(key: str, text: str) -> str:
    res = _invoke("sessions_send", {"sessionKey": key, "message": text, "timeoutSeconds": 30})
    status = res.get("status")
    if status == "timeout":
        return "The session has the message but did not answer within 30 seconds."
    if status == "no_reply":
        return "The session ran but gave no visible answer."
    if status != "ok":
        return f"Could not reach the session ({status}: {res.get('error', '')})."
    return str(res.get("reply", ""))


TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "list_openclaw_sessions",
            "description": "List the operator's OpenClaw sessions, optionally only those whose last run ended a given way.",
            "parameters": {
                "type": "object",
                "properties": {
                    "status": {"type": "string", "enum": SESSION_STATUS_ENUM},
                    "agent": {"type": "string", "description": "agent id, e.g. main"},
                },
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "message_openclaw_session",
            "description": "Send a message to one OpenClaw session and wait up to 30 s for its answer.",
            "parameters": {
                "type": "object",
                "properties": {"key": {"type": "string"}, "text": {"type": "string"}},
                "required": ["key", "text"],
                "additionalProperties": False,
            },
        },
    },
]

HANDLERS: dict[str, Callable[..., str]] = {
    "list_openclaw_sessions": list_openclaw_sessions,
    "message_openclaw_session": message_openclaw_session,
}
