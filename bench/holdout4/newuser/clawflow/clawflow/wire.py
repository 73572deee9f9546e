"""A small client for the OpenClaw gateway WebSocket protocol (v4)."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import websockets

log = logging.getLogger(__name__)

EventHandler = Callable[[dict[str, Any]], Awaitable[None]]


class GatewayError(RuntimeError):
    """A request the gateway answered with ok=false, or that never got an answer."""

    def __init__(self, method: str, kind: str, message: str = "") -> None:
        super().__init__(f"{method}: {kind} {message}".strip())
        self.method = method
        self.kind = kind  # "timeout", "closed" or the gateway's error code


class Gateway:
    def __init__(self, url: str, token: str, *, request_timeout: float = 15.0) -> None:
        self.url = url
        self.token = token
        self.request_timeout = request_timeout
        self._ws: Any = None
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._handlers: dict[str, list[EventHandler]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.server_version = ""

    def on(self, event: str, handler: EventHandler) -> None:
        self._handlers.setdefault(event, []).append(handler)

    async def connect(self) -> None:
        self._ws = await websockets.connect(self.url, max_size=25 * 1024 * 1024)
        challenge = json.loads(await self._ws.recv())
        if challenge.get("event") != "connect.challenge":
            raise GatewayError("connect", "protocol", f"expected connect.challenge, got {challenge!r}")
        self._reader = asyncio.create_task(self._read())
        hello = await self.call("connect", {
            "minProtocol": 4,
            "maxProtocol": 4,
            "client": {"id": "gateway-client", "version": "clawflow", "platform": "linux", "mode": "operator"},
            "role": "operator",
            "scopes": ["operator.read", "operator.write"],
            "caps": [],
            "auth": {"token": self.token},
        })
        self.server_version = hello.get("server", {}).get("version", "")
        log.info("connected to gateway %s (protocol %s)", self.server_version, hello.get("protocol"))

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
        if self._ws is not None:
            await self._ws.close()

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        req_id = str(next(self._ids))
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[req_id] = fut
        await self._ws.send(json.dumps({"type": "req", "id": req_id, "method": method, "params": params or {}}))
        try:
            frame = await asyncio.wait_for(fut, self.request_timeout)
        except asyncio.TimeoutError:
            raise GatewayError(method, "timeout") from None
        finally:
            self._pending.pop(req_id, None)
        if not frame.get("ok"):
            err = frame.get("error") or {}
            raise GatewayError(method, err.get("code", "error"), err.get("message", ""))
        return frame.get("payload") or {}

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                frame = json.loads(raw)
                if frame.get("type") == "res":
                    fut = self._pending.get(str(frame.get("id")))
                    if fut and not fut.done():
                        fut.set_result(frame)
                elif frame.get("type") == "event":
                    for handler in self._handlers.get(frame.get("event", ""), []):
                        await handler(frame.get("payload") or {})
        except websockets.ConnectionClosed:
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(GatewayError("socket", "closed"))

    async def subscribe_sessions(self, limit: int = 200) -> list[dict[str, Any]]:
        """Subscribe to sessions.changed and return the first roster in the same call."""
        payload = await self.call("sessions.subscribe", {"limit": limit})
        return payload.get("list", {}).get("sessions", [])

    async def list_sessions(self, limit: int = 200) -> list[dict[str, Any]]:
        payload = await self.call("sessions.list", {"limit": limit})
        return payload.get("sessions", [])
