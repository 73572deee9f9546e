"""A live copy of the gateway's session rows, kept current from ``sessions.changed``."""

from __future__ import annotations

import asyncio
import json
import logging
import platform
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import websockets

from .vocab import TERMINAL

log = logging.getLogger(__name__)

Row = dict[str, Any]
OnEnded = Callable[[Row, "str | None"], Awaitable[None]]


class LiveSessions:
    def __init__(self, url: str, token: str, on_ended: OnEnded) -> None:
        self.url, self.token, self.on_ended = url, token, on_ended
        self.rows: dict[str, Row] = {}
        self.connected = asyncio.Event()
        self.last_error: str | None = None
        self.server_version: str | None = None

    async def _request(self, ws: Any, method: str, params: dict[str, Any]) -> dict[str, Any]:
        req_id = uuid.uuid4().hex
        await ws.send(json.dumps({"type": "req", "id": req_id, "method": method, "params": params}))
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == "event":
                await self._event(frame)
            elif frame.get("type") == "res" and frame.get("id") == req_id:
                if not frame.get("ok"):
                    raise RuntimeError(f"{method}: {frame.get('error')}")
                return frame.get("payload") or {}

    async def _handshake(self, ws: Any) -> None:
        challenge = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        if challenge.get("event") != "connect.challenge":
            raise RuntimeError(f"expected connect.challenge, got {challenge.get('event')}")
        hello = await self._request(ws, "connect", {
            "minProtocol": 4,
            "maxProtocol": 4,
            "client": {"id": "gateway-client", "version": "clawcord/0.4", "platform": platform.system().lower(),
                       "mode": "backend"},
            "role": "operator",
            "scopes": ["operator.read"],
            "caps": [],
            "auth": {"token": self.token},
        })
        self.server_version = (hello.get("server") or {}).get("version")

    async def run(self) -> None:
        """Connect, subscribe, and keep the copy current; reconnect with backoff, forever."""
        delay = 1.0
        while True:
            try:
                async with websockets.connect(self.url, max_size=32 * 1024 * 1024) as ws:
                    await self._handshake(ws)
                    first = await self._request(ws, "sessions.subscribe", {"limit": 500})
                    self.rows = {r["key"]: r for r in (first.get("list") or {}).get("sessions", [])}
                    self.connected.set()
                    self.last_error, delay = None, 1.0
                    async for raw in ws:
                        frame = json.loads(raw)
                        if frame.get("type") == "event":
                            await self._event(frame)
            except asyncio.TimeoutError:
                self.last_error = "timeout"
            except (OSError, websockets.WebSocketException, RuntimeError) as exc:
                self.last_error = type(exc).__name__
                log.warning("gateway connection lost: %s", exc)
            self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)

    async def _event(self, frame: dict[str, Any]) -> None:
        if frame.get("event") != "sessions.changed":
            return
        payload = frame.get("payload") or {}
        row = payload.get("session")
        if not isinstance(row, dict) or "key" not in row:
            return
        before = self.rows.get(row["key"], {}).get("status")
        self.rows[row["key"]] = row
        now = row.get("status")
        if now != before and now in TERMINAL:
            await self.on_ended(row, before)

    def by_status(self, status: str | None) -> list[Row]:
        rows = sorted(self.rows.values(), key=lambda r: r.get("updatedAt") or 0, reverse=True)
        return [r for r in rows if status is None or r.get("status") == status]

    def stuck(self, older_than_ms: int, now_ms: int) -> list[Row]:
        return [r for r in self.rows.values()
                if r.get("status") == "running" and now_ms - (r.get("startedAt") or now_ms) > older_than_ms]
