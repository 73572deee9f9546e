"""Calls of the OpenClaw gateway's HTTP tool endpoint."""

from __future__ import annotations

import json
import os

import httpx

GATEWAY = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")


class GatewayError(RuntimeError):
    pass


async def invoke(tool: str, args: dict, session_key: str | None = None) -> dict:
    body: dict = {"tool": tool, "args": args}
    if session_key:
        body["sessionKey"] = session_key
    async with httpx.AsyncClient(base_url=GATEWAY, timeout=30) as client:
        resp = await client.post(
            "/tools/invoke",
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    if resp.status_code != 200:
        raise GatewayError(f"{tool}: HTTP {resp.status_code}")
    result = resp.json().get("result") or {}
    if result.get("details") is not None:
        return result["details"]
    return json.loads(result["content"][0]["text"])


async def list_sessions(active_minutes: int | None = None) -> list[dict]:
    args = {"limit": 200}
    if active_minutes:
        args["activeMinutes"] = active_minutes
    details = await invoke("sessions_list", args)
    return details.get("sessions", [])


async def send(session_key: str, message: str, wait_seconds: int = 20) -> dict:
    """sessions_send: the reply's own status is ok, timeout, error, accepted or forbidden."""
    return await invoke(
        "sessions_send",
        {"sessionKey": session_key, "message": message, "timeoutSeconds": wait_seconds},
    )


async def processes(session_key: str) -> list[dict]:
    details = await invoke("process", {"action": "list"}, session_key=session_key)
    return details.get("sessions", [])
