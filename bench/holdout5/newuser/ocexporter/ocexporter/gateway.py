"""A blocking gateway client for one scrape: connect, a few requests, close."""

from __future__ import annotations

import itertools
import json
import os
import sys
from types import TracebackType
from typing import Any

from websockets.sync.client import ClientConnection, connect

PROTOCOL = 4
_ids = itertools.count(1)


class GatewayError(Exception):
    """A request the gateway refused, or one that got no answer."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class Gateway:
    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = 10.0) -> None:
        self.url = url or os.environ.get("OPENCLAW_GATEWAY_URL", "ws://127.0.0.1:18789")
        self.token = token or os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")
        self.timeout = timeout
        self.server_version = ""
        self._ws: ClientConnection | None = None

    def __enter__(self) -> Gateway:
        self._ws = connect(self.url, open_timeout=self.timeout, max_size=25 * 1024 * 1024)
        first = json.loads(self._ws.recv(timeout=self.timeout))
        if first.get("event") != "connect.challenge":
            raise GatewayError("PROTOCOL", f"expected connect.challenge, got {first.get('event')!r}")
        hello = self.call(
            "connect",
            {
                "minProtocol": PROTOCOL,
                "maxProtocol": PROTOCOL,
                "client": {"id": "gateway-client", "version": "ocexporter/0.3", "platform": sys.platform, "mode": "backend"},
                "role": "operator",
                "scopes": ["operator.read"],
                "caps": [],
                "auth": {"token": self.token},
            },
        )
        self.server_version = hello.get("server", {}).get("version", "")
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        assert self._ws is not None, "use Gateway as a context manager"
        rid = str(next(_ids))
        self._ws.send(json.dumps({"type": "req", "id": rid, "method": method, "params": params or {}}))
        while True:
            try:
                frame = json.loads(self._ws.recv(timeout=self.timeout))
            except TimeoutError:
                raise GatewayError("timeout", f"{method} got no answer in {self.timeout:g}s") from None
            if frame.get("type") != "res" or frame.get("id") != rid:
                continue  # events and ticks: a scrape does not subscribe to anything
            if frame.get("ok"):
                return frame.get("payload") or {}
            err = frame.get("error") or {}
            raise GatewayError(err.get("code", "UNAVAILABLE"), err.get("message", ""))

    def sessions(self) -> list[dict[str, Any]]:
        return list(self.call("sessions.list", {"limit": 1000}).get("sessions", []))

    def cron_jobs(self) -> list[dict[str, Any]]:
        return list(self.call("cron.list", {}).get("jobs", []))
