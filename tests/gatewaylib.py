"""A test gateway that speaks OpenClaw's frame protocol as the captured frames
show it, and helpers to run the proxy in front of it.

It plays either an old gateway (2026.9.6, old names) or a new one (2027.1.0 or
later, new names): the only difference is which fixture files it serves and
the version it announces in ``hello-ok``.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response

from migrator.compat import GatewayProxy, Policy, UsageCounters, proxy_config
from migrator.manifest import load_manifest, parse_version

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "gateway"
CAPABILITY = "session-status-v2"
OLD_VERSION = "2026.9.6"
NEW_VERSION = "2027.1.0"

# Bounds every wait in the tests: nothing here should take more than this.
TIMEOUT = 5.0


def run_async(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async test in its own event loop, bounded in time."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(test(*args, **kwargs), 4 * TIMEOUT))

    return wrapper


@asynccontextmanager
async def running_proxy(upstream: str, *, policy: Policy = Policy(), max_frame_bytes: int = 1 << 20,
                        counters: UsageCounters | None = None) -> AsyncIterator[GatewayProxy]:
    """The proxy on a free loopback port in front of ``upstream``."""
    config = proxy_config("127.0.0.1:0", upstream, policy=policy, max_frame_bytes=max_frame_bytes)
    proxy = GatewayProxy(config, counters)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


def fixture(name: str) -> Any:
    """A fixture file of fixtures/gateway, parsed."""
    return json.loads((FIXTURES / name).read_text("utf-8"))


def captured() -> list[dict[str, Any]]:
    """The frames captured from a real 2026.9.6 gateway, in order."""
    lines = (FIXTURES / "captured-2026.9.6.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line)["frame"] for line in lines if line.strip()]


def captured_more() -> list[dict[str, Any]]:
    """More frames of a real 2026.9.6 gateway, in order: sessions.subscribe,
    tools.invoke with `name` and refused with `tool`, sessions.changed after a
    sessions.patch, session.message after a chat.send."""
    lines = (FIXTURES / "captured-2026.9.6-subscribe-tools-events.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line)["frame"] for line in lines if line.strip()]


def dumps(frame: Any) -> str:
    """JSON as the Node gateway writes it: compact, non-ASCII kept."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


# The closed parameter object of sessions.list (an unknown one is refused).
SESSIONS_LIST_PARAMS = {
    "limit", "offset", "sortBy", "activeMinutes", "spawnedBy", "agentId", "search", "label",
    "includeGlobal", "includeUnknown", "kinds",
}
TOOLS_INVOKE_PARAMS = {"name", "args", "sessionKey", "agentId", "confirm", "idempotencyKey", "conversationReadOrigin"}
CONNECT_PARAMS = {"minProtocol", "maxProtocol", "client", "caps", "auth", "role", "scopes", "device", "locale", "userAgent"}
CLIENT_IDS = {"cli", "gateway-client", "webchat", "webchat-ui", "openclaw-control-ui", "node-host", "test"}


class TestGateway:
    """A gateway on a loopback port. ``async with TestGateway(...) as gw:``."""

    __test__ = False  # not a pytest test class

    def __init__(self, version: str = OLD_VERSION, *, max_size: int = 1 << 20, record: bool = True) -> None:
        self.version = version
        introduced = load_manifest().schedule.introduced
        self.vocabulary = "new" if parse_version(version) >= introduced else "old"
        self.max_size = max_size
        self.record = record  # keep every frame (off for benchmarks)
        self.refuse = False  # answer the upgrade with HTTP 503
        self.received: list[str | bytes] = []  # every frame a client sent, as sent
        self.sent: list[str] = []  # every text frame sent, as sent
        self.connections: set[ServerConnection] = set()
        self.closed_codes: list[int | None] = []
        self._server: Server | None = None

    # -- what it serves ------------------------------------------------------

    def sessions_list(self) -> dict[str, Any]:
        return fixture(f"sessions.list.{self.vocabulary}.json")

    def sessions_list_tool(self) -> dict[str, Any]:
        return fixture(f"sessions_list.tool.{self.vocabulary}.json")

    def sessions_changed(self) -> dict[str, Any]:
        return fixture(f"sessions.changed.{self.vocabulary}.json")

    def sessions_subscribe(self) -> dict[str, Any]:
        """The real answer to ``sessions.subscribe`` with params: ``{subscribed, list}``."""
        return fixture(f"sessions.subscribe.{self.vocabulary}.json")

    def sessions_changed_patch(self) -> dict[str, Any]:
        """The real ``sessions.changed`` after a ``sessions.patch`` (71 fields,
        the row in ``session``, the parent's row in ``ancestorSessions``)."""
        return fixture(f"sessions.changed.patch.{self.vocabulary}.json")

    def tools_invoke_sessions_list(self) -> dict[str, Any]:
        """The real ``tools.invoke`` answer: ``{ok, toolName, output, source}``."""
        return fixture(f"tools.invoke.sessions_list.{self.vocabulary}.json")

    def hello(self) -> dict[str, Any]:
        hello = copy.deepcopy(captured()[2]["payload"])
        hello["server"]["version"] = self.version
        hello["server"]["buildId"] = f"{self.version}-release-test"
        return hello

    # -- lifecycle -------------------------------------------------------------

    async def __aenter__(self) -> "TestGateway":
        self._server = await serve(
            self._handle, "127.0.0.1", 0, max_size=self.max_size, process_request=self._gate, compression=None
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _gate(self, connection: ServerConnection, request: Any) -> Response | None:
        if self.refuse:
            return connection.respond(503, "gateway starting\n")
        return None

    async def broadcast(self, event: str, payload: Any) -> str:
        """Send an event to every connected client; return the frame's text."""
        text = dumps({"type": "event", "event": event, "payload": payload, "seq": len(self.sent) + 1})
        for conn in list(self.connections):
            await self._send(conn, text)
        return text

    async def drop_all(self) -> None:
        """Go away abruptly (no close frame), like a crashed gateway."""
        for conn in list(self.connections):
            conn.transport.abort()

    # -- the protocol ------------------------------------------------------------

    async def _send(self, conn: ServerConnection, text: str) -> None:
        if self.record:
            self.sent.append(text)
        await conn.send(text)

    async def _handle(self, conn: ServerConnection) -> None:
        self.connections.add(conn)
        try:
            challenge = copy.deepcopy(captured()[0])
            challenge["payload"]["nonce"] = str(uuid.uuid4())
            await self._send(conn, dumps(challenge))
            async for message in conn:
                if self.record:
                    self.received.append(message)
                if isinstance(message, bytes):
                    await conn.send(message)  # binary echo: proves binary passes both ways
                    continue
                await self._answer(conn, message)
        except ConnectionClosed:
            pass
        finally:
            self.connections.discard(conn)
            self.closed_codes.append(conn.close_code)

    async def _answer(self, conn: ServerConnection, text: str) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            await self._send(conn, dumps({"type": "res", "id": None, "ok": False,
                                          "error": {"code": "INVALID_REQUEST", "message": "invalid frame: not a JSON object"}}))
            return
        rid, method, params = frame.get("id"), frame.get("method"), frame.get("params") or {}
        if method == "connect":
            extra = set(params) - CONNECT_PARAMS
            if extra or params.get("client", {}).get("id") not in CLIENT_IDS:
                await self._error(conn, rid, f"invalid connect params: at root: unexpected property '{sorted(extra)[0] if extra else 'client.id'}'")
                return
            await self._ok(conn, rid, self.hello())
        elif method in ("sessions.list", "sessions.subscribe"):
            extra = sorted(set(params) - SESSIONS_LIST_PARAMS)
            if extra:
                await self._error(conn, rid, f"invalid {method} params: at root: unexpected property '{extra[0]}'")
            elif method == "sessions.list":
                await self._ok(conn, rid, self.sessions_list())
            elif params:
                await self._ok(conn, rid, self.sessions_subscribe())
            else:  # as the real one: no params, no list
                await self._ok(conn, rid, {"subscribed": True})
        elif method == "tools.invoke":
            # the real method takes {name, args, ...} and refuses `tool`
            extra = sorted(set(params) - TOOLS_INVOKE_PARAMS)
            name = params.get("name")
            if extra or not isinstance(name, str):
                why = "must have required property 'name'" if not isinstance(name, str) else ""
                why += ("; " if why and extra else "") + (f"at root: unexpected property '{extra[0]}'" if extra else "")
                await self._error(conn, rid, f"invalid tools.invoke params: {why}")
            elif name == "sessions_list":
                await self._ok(conn, rid, self.tools_invoke_sessions_list())
            elif name == "sessions_send":
                await self._ok(conn, rid, {"ok": True, "toolName": name, "output": fixture("sessions_send.tool.json"),
                                           "source": "core"})
            else:
                await self._ok(conn, rid, {"ok": False, "toolName": name,
                                           "error": {"code": "not_found", "message": f"Tool not available: {name}"}})
        elif method == "test.slow":
            await asyncio.sleep(float(params.get("seconds", 0.2)))
            await self._ok(conn, rid, {"done": True})
        elif method == "test.echo":
            await self._ok(conn, rid, params)
        elif method == "test.burst":
            # `count` events, then the answer: a throughput probe
            event, payload = params["event"], params["payload"]
            for seq in range(int(params["count"])):
                await self._send(conn, dumps({"type": "event", "event": event, "payload": payload, "seq": seq}))
            await self._ok(conn, rid, {"sent": params["count"]})
        elif method == "test.big":
            await self._ok(conn, rid, {"blob": "x" * int(params["bytes"])})
        elif method == "test.drop":
            conn.transport.abort()
        else:
            await self._error(conn, rid, f"unknown method: {method}")

    async def _ok(self, conn: ServerConnection, rid: Any, payload: Any) -> None:
        await self._send(conn, dumps({"type": "res", "id": rid, "ok": True, "payload": payload}))

    async def _error(self, conn: ServerConnection, rid: Any, message: str) -> None:
        await self._send(conn, dumps({"type": "res", "id": rid, "ok": False,
                                      "error": {"code": "INVALID_REQUEST", "message": message}}))


class Client:
    """A real WebSocket client that speaks the protocol like an orchestrator."""

    def __init__(self, url: str, *, caps: list[str] | None = None, client_id: str = "gateway-client",
                 version: str = "1.0.0") -> None:
        self.url, self.caps, self.client_id, self.version = url, caps or [], client_id, version
        self.ws: ClientConnection | None = None
        self.hello: dict[str, Any] | None = None
        self._n = 0

    async def __aenter__(self) -> "Client":
        self.ws = await connect(self.url, open_timeout=TIMEOUT, proxy=None, compression=None, max_size=None)
        challenge = await self.recv()
        assert challenge["event"] == "connect.challenge"
        params = copy.deepcopy(captured()[1]["params"])
        params["caps"] = self.caps
        params["client"]["id"] = self.client_id
        params["client"]["version"] = self.version
        res = await self.request("connect", params)
        assert res["ok"], res
        self.hello = res["payload"]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.ws is not None
        await self.ws.close()

    async def recv_text(self) -> str | bytes:
        assert self.ws is not None
        return await asyncio.wait_for(self.ws.recv(), TIMEOUT)

    async def recv(self) -> dict[str, Any]:
        text = await self.recv_text()
        assert isinstance(text, str)
        return json.loads(text)

    def next_id(self) -> str:
        self._n += 1
        return f"{self._n}:{uuid.uuid4()}"

    async def send(self, frame: Any) -> None:
        assert self.ws is not None
        await self.ws.send(frame if isinstance(frame, (str, bytes)) else dumps(frame))

    async def request(self, method: str, params: Any = None) -> dict[str, Any]:
        """Send a request and return its response (events before it are skipped)."""
        rid = self.next_id()
        await self.send({"type": "req", "id": rid, "method": method, "params": params or {}})
        return await self.response(rid)

    async def response(self, rid: str) -> dict[str, Any]:
        for _ in range(100):
            frame = await self.recv()
            if frame.get("type") == "res" and frame.get("id") == rid:
                return frame
        raise AssertionError(f"no response to {rid}")
