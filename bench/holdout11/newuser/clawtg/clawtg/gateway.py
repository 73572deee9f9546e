"""The bot's way to the gateway: ``POST /tools/invoke`` and the ``openclaw`` CLI."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import httpx

GATEWAY_URL = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")


class GatewayTrouble(Exception):
    """Why a call did not work: ``kind`` is ``timeout``, ``auth``, ``denied``, ``http`` or ``cli``."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail or kind)
        self.kind = kind


class Gateway:
    def __init__(self, url: str = GATEWAY_URL, token: str = TOKEN) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.AsyncClient(base_url=url, headers=headers, timeout=httpx.Timeout(20.0))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def invoke(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        try:
            resp = await self._http.post("/tools/invoke", json={"tool": tool, "args": args})
        except httpx.TimeoutException:
            raise GatewayTrouble("timeout") from None
        except httpx.HTTPError as exc:
            raise GatewayTrouble("http", str(exc)) from None
        if resp.status_code == 401:
            raise GatewayTrouble("auth")
        if resp.status_code in (403, 404):
            raise GatewayTrouble("denied", tool)
        body = resp.json()
        if not body.get("ok"):
            raise GatewayTrouble("http", str((body.get("error") or {}).get("message", resp.status_code)))
        result = body["result"]
        return result.get("details") or json.loads(result["content"][0]["text"])

    async def sessions(self) -> list[dict[str, Any]]:
        """All rows of ``sessions_list``, following ``nextOffset``."""
        rows: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = await self.invoke("sessions_list", {"limit": 200, "offset": offset})
            rows += page.get("sessions") or []
            if not page.get("hasMore"):
                return rows
            offset = page["nextOffset"]

    async def _cli(self, *args: str, wait: float = 30.0) -> Any:
        proc = await asyncio.create_subprocess_exec(
            "openclaw", *args, "--json", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), wait)
        except asyncio.TimeoutError:
            proc.kill()
            raise GatewayTrouble("timeout") from None
        if proc.returncode != 0:
            raise GatewayTrouble("cli", err.decode(errors="replace").strip()[-200:])
        return json.loads(out or b"{}")

    async def abort(self, key: str) -> None:
        """Stop the session's active run (``sessions.abort``)."""
        await self._cli("gateway", "call", "sessions.abort", "--params", json.dumps({"key": key}))

    async def tasks(self) -> list[dict[str, Any]]:
        """Background tasks of ``openclaw tasks list``."""
        data = await self._cli("tasks", "list")
        return list(data.get("tasks", []) if isinstance(data, dict) else data)
