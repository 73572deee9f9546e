"""A thin async client of the gateway's POST /tools/invoke."""

from __future__ import annotations

import json
import os
from typing import Any

import httpx

GATEWAY_URL = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")

# Statuses of a session that has finished its last run, however it went.
FINISHED = ("done", "failed", "killed", "timeout")
# The ones an operator wants to hear about first.
WENT_WRONG = ("failed", "timeout")


class GatewayError(Exception):
    """Why a call gave no result: "timeout", "auth", "denied" or "http"."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


async def invoke(tool: str, args: dict[str, Any], *, timeout: float = 20.0) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=GATEWAY_URL, timeout=timeout) as client:
        try:
            resp = await client.post(
                "/tools/invoke",
                json={"tool": tool, "args": args},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
        except httpx.TimeoutException as exc:
            raise GatewayError("timeout", str(exc)) from exc
    if resp.status_code == 401:
        raise GatewayError("auth")
    if resp.status_code == 404:
        raise GatewayError("denied", f"{tool} is not available over HTTP")
    if resp.status_code != 200:
        raise GatewayError("http", str(resp.status_code))
    result = resp.json().get("result") or {}
    if isinstance(result.get("details"), dict):
        return result["details"]
    return json.loads(result.get("content", [{}])[0].get("text") or "{}")


async def all_sessions(search: str | None = None, active_minutes: int | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        args: dict[str, Any] = {"limit": 200, "offset": offset}
        if search:
            args["search"] = search
        if active_minutes:
            args["activeMinutes"] = active_minutes
        page = await invoke("sessions_list", args)
        rows.extend(page.get("sessions", []))
        if not page.get("hasMore"):
            return rows
        offset = int(page.get("nextOffset", offset + 200))
