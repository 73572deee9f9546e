"""A blocking gateway client on websocket-client: handshake, one request, then events."""

from __future__ import annotations

import itertools
import json
import os
import platform
from typing import Any, Iterator

import websocket  # websocket-client

PROTOCOL = 4


class RecorderError(Exception):
    """The tape could not go on: ``kind`` says why (closed, refused, timeout, protocol)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind} {detail}".strip())
        self.kind = kind


class Gateway:
    def __init__(self, url: str | None = None, token: str | None = None, read_timeout: float = 90.0) -> None:
        self.url = url or os.environ.get("OPENCLAW_GATEWAY_WS", "ws://127.0.0.1:18789")
        self.token = token or os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")
        self.read_timeout = read_timeout
        self._ids = itertools.count(1)
        self._ws: websocket.WebSocket | None = None

    def _recv(self) -> dict[str, Any]:
        assert self._ws is not None
        try:
            raw = self._ws.recv()
        except websocket.WebSocketTimeoutException as exc:
            raise RecorderError("timeout", f"nothing from the gateway for {self.read_timeout:.0f}s") from exc
        except websocket.WebSocketConnectionClosedException as exc:
            raise RecorderError("closed", str(exc)) from exc
        return json.loads(raw)

    def _request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self._ws is not None
        rid = str(next(self._ids))
        self._ws.send(json.dumps({"type": "req", "id": rid, "method": method, "params": params}))
        while True:
            frame = self._recv()
            if frame.get("type") == "res" and frame.get("id") == rid:
                if not frame.get("ok"):
                    raise RecorderError("refused", json.dumps(frame.get("error")))
                return frame.get("payload") or {}

    def open(self) -> dict[str, Any]:
        self._ws = websocket.create_connection(self.url, timeout=self.read_timeout)
        challenge = self._recv()
        if challenge.get("event") != "connect.challenge":
            raise RecorderError("protocol", "expected connect.challenge first")
        hello = self._request("connect", {
            "minProtocol": PROTOCOL,
            "maxProtocol": PROTOCOL,
            "client": {"id": "gateway-client", "version": "clawtape/0.2", "platform": platform.system().lower(), "mode": "backend"},
            "role": "operator",
            "scopes": ["operator.read"],
            "caps": [],
            "auth": {"token": self.token},
        })
        return hello

    def subscribe(self) -> dict[str, Any]:
        """``sessions.subscribe`` answers ``{subscribed, list}``, the first roster."""
        return self._request("sessions.subscribe", {"limit": 500})

    def events(self) -> Iterator[dict[str, Any]]:
        while True:
            frame = self._recv()
            if frame.get("type") == "event":
                yield frame

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
