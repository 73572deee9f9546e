"""A small OpenClaw gateway WebSocket client: connect, call methods, get events."""
import asyncio
import json
import os
import uuid
from typing import Any, Callable

import websockets

URL = os.environ.get("OPENCLAW_WS", "ws://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")


class GatewayError(RuntimeError):
    pass


class Gateway:
    def __init__(self, url: str = URL, token: str = TOKEN) -> None:
        self.url = url
        self.token = token
        self.ws = None
        self.pending: dict[str, asyncio.Future] = {}
        self.handlers: dict[str, list[Callable[[dict], Any]]] = {}
        self.reader: asyncio.Task | None = None

    async def connect(self) -> dict:
        self.ws = await websockets.connect(self.url, max_size=16 * 1024 * 1024)
        challenge = json.loads(await self.ws.recv())
        if challenge.get("event") != "connect.challenge":
            raise GatewayError(f"unexpected first frame: {challenge}")
        self.reader = asyncio.create_task(self._read())
        return await self.call("connect", {
            "minProtocol": 4,
            "maxProtocol": 4,
            "client": {"id": "gateway-client", "version": "clawboard 0.3", "platform": "linux", "mode": "backend"},
            "role": "operator",
            "scopes": ["operator.read", "operator.write"],
            "auth": {"token": self.token},
        })

    async def _read(self) -> None:
        async for raw in self.ws:
            frame = json.loads(raw)
            if frame.get("type") == "res":
                fut = self.pending.pop(frame.get("id"), None)
                if fut is None or fut.done():
                    continue
                if frame.get("ok"):
                    fut.set_result(frame.get("payload"))
                else:
                    fut.set_exception(GatewayError(str(frame.get("error"))))
            elif frame.get("type") == "event":
                for cb in self.handlers.get(frame.get("event"), []):
                    cb(frame.get("payload") or {})

    def on(self, event: str, cb: Callable[[dict], Any]) -> None:
        self.handlers.setdefault(event, []).append(cb)

    async def call(self, method: str, params: dict | None = None, timeout: float = 15) -> Any:
        rid = str(uuid.uuid4())
        fut = asyncio.get_running_loop().create_future()
        self.pending[rid] = fut
        await self.ws.send(json.dumps({"type": "req", "id": rid, "method": method, "params": params or {}}))
        return await asyncio.wait_for(fut, timeout)
