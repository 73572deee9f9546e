"""A small client of the gateway WebSocket protocol."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, AsyncIterator

import websockets

_ids = itertools.count(1)


class GatewayError(RuntimeError):
    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class Gateway:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.ws = None
        self._pending: dict[str, asyncio.Future] = {}
        self.events: asyncio.Queue[dict] = asyncio.Queue()
        self.server_version = ""

    async def open(self) -> None:
        self.ws = await websockets.connect(self.url, max_size=16 * 1024 * 1024)
        first = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
        if first.get("event") != "connect.challenge":
            raise GatewayError("protocol", "no connect.challenge")
        hello = await self._raw_request(
            "connect",
            {
                "minProtocol": 4,
                "maxProtocol": 4,
                "client": {"id": "gateway-client", "version": "0.1.0", "platform": "linux", "mode": "backend"},
                "role": "operator",
                "scopes": ["operator.read", "operator.write"],
                "caps": [],
                "auth": {"token": self.token},
            },
        )
        self.server_version = (hello.get("server") or {}).get("version", "")

    async def _raw_request(self, method: str, params: dict) -> dict:
        req_id = str(next(_ids))
        await self.ws.send(json.dumps({"type": "req", "id": req_id, "method": method, "params": params}))
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
            if frame.get("type") == "event":
                await self.events.put(frame)
                continue
            if frame.get("id") == req_id:
                if not frame.get("ok"):
                    err = frame.get("error") or {}
                    raise GatewayError(err.get("code", "error"), err.get("message", ""))
                return frame.get("payload") or {}

    async def request(self, method: str, params: dict | None = None) -> dict:
        try:
            return await asyncio.wait_for(self._raw_request(method, params or {}), 30)
        except asyncio.TimeoutError as exc:
            raise GatewayError("timeout", method) from exc

    async def listen(self) -> AsyncIterator[dict]:
        async for raw in self.ws:
            frame = json.loads(raw)
            if frame.get("type") == "event":
                yield frame

    async def tools_invoke(self, http_url: str, token: str, tool: str, args: dict[str, Any]) -> dict:
        """POST /tools/invoke on the same gateway, for tools with no RPC method."""
        import httpx

        async with httpx.AsyncClient(timeout=60) as client:
            r = await client.post(
                http_url + "/tools/invoke",
                json={"tool": tool, "args": args},
                headers={"Authorization": "Bearer " + token},
            )
        r.raise_for_status()
        result = r.json()["result"]
        return result.get("details") or json.loads(result["content"][0]["text"])
