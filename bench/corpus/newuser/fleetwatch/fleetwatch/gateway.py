"""Talk to the OpenClaw gateway over its WebSocket."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from typing import Any, AsyncIterator

import websockets

GATEWAY_URL = os.environ.get("OPENCLAW_GATEWAY_URL", "ws://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")


class GatewayError(RuntimeError):
    pass


class Gateway:
    def __init__(self, url: str = GATEWAY_URL, token: str = TOKEN) -> None:
        self.url = url
        self.token = token
        self.ws: Any = None
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.pending: dict[str, asyncio.Future[dict[str, Any]]] = {}

    async def connect(self) -> dict[str, Any]:
        self.ws = await websockets.connect(self.url)
        challenge = json.loads(await self.ws.recv())
        if challenge.get("event") != "connect.challenge":
            raise GatewayError(f"unexpected first frame: {challenge}")
        asyncio.create_task(self._reader())
        return await self.request(
            "connect",
            {
                "minProtocol": 4,
                "maxProtocol": 4,
                "client": {"id": "gateway-client", "version": "0.1.0", "platform": "python", "mode": "backend"},
                "caps": [],
                "auth": {"token": self.token},
                "role": "operator",
                "scopes": ["operator.read", "operator.write"],
            },
        )

    async def _reader(self) -> None:
        async for raw in self.ws:
            frame = json.loads(raw)
            if frame.get("type") == "res":
                fut = self.pending.pop(frame.get("id"), None)
                if fut is not None and not fut.done():
                    fut.set_result(frame)
            elif frame.get("type") == "event":
                await self.events.put(frame)

    async def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        req_id = str(uuid.uuid4())
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[req_id] = fut
        await self.ws.send(json.dumps({"type": "req", "id": req_id, "method": method, "params": params or {}}))
        frame = await asyncio.wait_for(fut, timeout=30)
        if not frame.get("ok"):
            raise GatewayError(f"{method} failed: {frame.get('error')}")
        return frame.get("payload") or {}

    async def list_sessions(self, limit: int = 200) -> list[dict[str, Any]]:
        payload = await self.request("sessions.list", {"limit": limit})
        return list(payload.get("sessions", []))

    async def watch(self) -> AsyncIterator[dict[str, Any]]:
        """Yield session rows as they change."""
        await self.request("sessions.subscribe", {"limit": 60})
        while True:
            frame = await self.events.get()
            if frame.get("event") != "sessions.changed":
                continue
            payload = frame.get("payload") or {}
            row = payload.get("session") or payload
            yield row

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


async def count_by_status() -> dict[str, int]:
    gw = Gateway()
    await gw.connect()
    try:
        counts: dict[str, int] = {}
        for s in await gw.list_sessions():
            st = s.get("status") or "unknown"
            counts[st] = counts.get(st, 0) + 1
        return counts
    finally:
        await gw.close()


async def wait_until_finished(key: str, poll: float = 5.0) -> str:
    gw = Gateway()
    await gw.connect()
    try:
        while True:
            for s in await gw.list_sessions():
                if s["key"] == key and s.get("status") != "running":
                    if s.get("status") == "done":
                        return "ok"
                    return s.get("status", "unknown")
            await asyncio.sleep(poll)
    finally:
        await gw.close()
