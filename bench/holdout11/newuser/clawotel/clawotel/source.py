"""The gateway WebSocket, as an ``aiohttp`` client: the handshake and the session events."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

PROTOCOL = 4


class SourceError(Exception):
    """The event source stopped: ``kind`` is ``timeout``, ``closed``, ``refused`` or ``protocol``."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


class GatewayEvents:
    """Connects, subscribes to session changes and yields ``(event, payload)`` pairs."""

    def __init__(self, url: str, token: str, version: str = "0.3.0") -> None:
        self.url, self.token, self.version = url, token, version
        self._ids = itertools.count(1)
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.roster: list[dict[str, Any]] = []

    async def _recv(self, wait: float) -> dict[str, Any]:
        assert self._ws is not None
        try:
            msg = await self._ws.receive(timeout=wait)
        except asyncio.TimeoutError:
            raise SourceError("timeout", f"nothing for {wait:.0f}s") from None
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            raise SourceError("closed", str(self._ws.close_code))
        if msg.type != aiohttp.WSMsgType.TEXT:
            raise SourceError("protocol", str(msg.type))
        return json.loads(msg.data)

    async def _request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self._ws is not None
        req_id = str(next(self._ids))
        await self._ws.send_json({"type": "req", "id": req_id, "method": method, "params": params})
        while True:
            frame = await self._recv(30.0)
            if frame.get("type") == "res" and frame.get("id") == req_id:
                if not frame.get("ok"):
                    raise SourceError("refused", json.dumps(frame.get("error")))
                return frame.get("payload") or {}

    async def events(self, session: aiohttp.ClientSession) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        async with session.ws_connect(self.url, heartbeat=30) as ws:
            self._ws = ws
            challenge = await self._recv(10.0)
            if challenge.get("event") != "connect.challenge":
                raise SourceError("protocol", "no connect.challenge")
            hello = await self._request(
                "connect",
                {
                    "minProtocol": PROTOCOL,
                    "maxProtocol": PROTOCOL,
                    "client": {"id": "gateway-client", "version": self.version, "platform": "python", "mode": "backend"},
                    "role": "operator",
                    "scopes": ["operator.read"],
                    "caps": [],
                    "auth": {"token": self.token},
                },
            )
            if hello.get("type") != "hello-ok":
                raise SourceError("protocol", str(hello.get("type")))
            sub = await self._request("sessions.subscribe", {"limit": 200})
            self.roster = list((sub.get("list") or {}).get("sessions") or [])
            while True:
                frame = await self._recv(120.0)
                if frame.get("type") == "event":
                    yield frame["event"], frame.get("payload") or {}
