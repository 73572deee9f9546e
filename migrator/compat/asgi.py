"""ASGI middleware for Python HTTP gateways: the tools endpoint in the
client's vocabulary, with deprecation headers on old-vocabulary responses.

Plain ASGI 3, no framework: wrap any ASGI app (Starlette, FastAPI, Quart, a
bare function). Only ``POST`` to the tools path with a session-status tool is
touched; every other request and response streams through as it is.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
from typing import Any, Awaitable, Callable, MutableMapping

from packaging.version import Version

from migrator.manifest import Manifest, load_manifest

from migrator.compat.headers import deprecation_headers
from migrator.compat.negotiation import Negotiation, Policy, negotiate
from migrator.compat.translation import Translator, tool_name, tool_result
from migrator.compat.usage import UsageCounters

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("migrator.compat")

TOOLS_PATH = "/tools/invoke"
# HTTP has no `connect` frame, so a client lists its capabilities in a header
# (comma-separated, like the WebSocket `caps`).
CAPS_HEADER = "x-openclaw-caps"
# OpenClaw's own limit for the tools endpoint is 2 MB; responses can be larger.
MAX_BODY_BYTES = 25 * 1024 * 1024


def client_from_user_agent(scope: Scope) -> tuple[str, str]:
    """``(client id, version)`` from the first product of ``User-Agent``
    (``orchestrator/1.4 python-httpx/0.27`` -> ``("orchestrator", "1.4")``)."""
    agent = _header(scope, b"user-agent") or ""
    product = agent.split(" ", 1)[0]
    name, _, version = product.partition("/")
    return name or "unknown", version or "unknown"


class CompatMiddleware:
    """Serve the session-status tool results of ``app`` in each client's
    vocabulary.

    ``gateway_version`` is the version of the wrapped gateway (it decides the
    schedule); ``policy`` carries the operator's mode and window extension.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        gateway_version: Version | str | None,
        policy: Policy = Policy(),
        manifest: Manifest | None = None,
        counters: UsageCounters | None = None,
        tools_path: str = TOOLS_PATH,
        caps_header: str = CAPS_HEADER,
        identify: Callable[[Scope], tuple[str, str]] = client_from_user_agent,
        max_body_bytes: int = MAX_BODY_BYTES,
        today: _dt.date | None = None,
    ) -> None:
        self.app = app
        self.manifest = manifest or load_manifest()
        self.translator = Translator(self.manifest)
        self.gateway_version = gateway_version
        self.policy = policy
        self.counters = counters if counters is not None else UsageCounters()
        self.tools_path = tools_path
        self.caps_header = caps_header.lower().encode("latin-1")
        self.identify = identify
        self.max_body_bytes = max_body_bytes
        self.today = today
        self._headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in deprecation_headers(self.manifest.schedule)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") != self.tools_path:
            await self.app(scope, receive, send)
            return
        messages, body = await _read_body(receive, self.max_body_bytes)
        replay = _replay(messages, receive)
        tool = _tool_name(body)
        if tool is None or not self.translator.has_surface("tool", tool):
            await self.app(scope, replay, send)
            return
        caps = [c.strip() for c in (_header(scope, self.caps_header) or "").split(",") if c.strip()]
        negotiation = negotiate(
            self.manifest, gateway_version=self.gateway_version, caps=caps, policy=self.policy, today=self.today
        )
        client = self.identify(scope)
        await self.app(scope, replay, _ResponseRewriter(self, send, tool, negotiation, client).send)


class _ResponseRewriter:
    """Holds back one response until its body is complete, then rewrites it."""

    def __init__(
        self,
        middleware: CompatMiddleware,
        send: Send,
        tool: str,
        negotiation: Negotiation,
        client: tuple[str, str],
    ) -> None:
        self.mw, self._send, self.tool, self.negotiation, self.client = middleware, send, tool, negotiation, client
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.streaming = False  # gave up holding back: too large or not JSON

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            if not _is_plain_json(message):
                await self._stream_from_now()
            return
        if message["type"] != "http.response.body" or self.streaming:
            await self._send(message)
            return
        chunk = message.get("body", b"")
        self.chunks.append(chunk)
        self.size += len(chunk)
        if self.size > self.mw.max_body_bytes:
            log.warning("%s response over %d bytes: passed through untranslated", self.tool, self.mw.max_body_bytes)
            await self._stream_from_now(more_body=message.get("more_body", False))
            return
        if not message.get("more_body", False):
            await self._finish(b"".join(self.chunks))

    async def _stream_from_now(self, more_body: bool | None = None) -> None:
        """Send what is held back as it is and stop holding back."""
        self.streaming = True
        assert self.start is not None
        await self._send(self._with_headers(self.start, None, deprecated=False))
        if more_body is not None:
            await self._send({"type": "http.response.body", "body": b"".join(self.chunks), "more_body": more_body})
        self.chunks = []

    async def _finish(self, body: bytes) -> None:
        assert self.start is not None
        vocabulary = self.negotiation.client
        changed = 0
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):  # (nested deeper than Python recurses)
            document = None
        result = tool_result(document)
        if result is not None:
            try:
                changed = self.mw.translator.serve("tool", self.tool, result, vocabulary)
            except RecursionError:
                changed = 0  # too deep to walk: the body passes as it came
            if vocabulary == "old":
                self.mw.counters.record(*self.client, connections=1, frames=1, translated=changed)
        if changed:
            try:
                body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
            except RecursionError:
                pass  # too deep to write again: the body passes as it came
        await self._send(self._with_headers(self.start, len(body), deprecated=vocabulary == "old" and result is not None))
        await self._send({"type": "http.response.body", "body": body, "more_body": False})

    def _with_headers(self, start: Message, length: int | None, *, deprecated: bool) -> Message:
        headers = [(k, v) for k, v in start.get("headers", []) if length is None or k.lower() != b"content-length"]
        if length is not None:
            headers.append((b"content-length", str(length).encode()))
        # The body depends on the capabilities header: caches must key on it.
        headers.append((b"vary", self.mw.caps_header))
        if deprecated:
            headers.extend(self.mw._headers)
        return {**start, "headers": headers}


async def _read_body(receive: Receive, limit: int) -> tuple[list[Message], bytes]:
    """Read the request body (up to ``limit`` bytes), keeping the messages to replay."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False) or size > limit:
            break
    return messages, b"".join(chunks) if size <= limit else b""


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that gives back the messages already read, then the rest."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def _tool_name(body: bytes) -> str | None:
    if not body:
        return None
    try:
        request = json.loads(body)
    except (ValueError, RecursionError):
        return None
    # OpenClaw's handler reads `name`, then `tool` ({"name": ..., "args": {...}}).
    return tool_name(request)


def _is_plain_json(start: Message) -> bool:
    """Whether the response body is JSON we can read (not compressed)."""
    ctype = encoding = b""
    for key, value in start.get("headers", []):
        key = key.lower()
        if key == b"content-type":
            ctype = value.lower()
        elif key == b"content-encoding":
            encoding = value.lower()
    return b"json" in ctype and encoding in (b"", b"identity")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None
