"""A WebSocket proxy in front of one OpenClaw gateway.

Each client connection gets its own upstream connection and its own
:class:`FrameSession`. The library (websockets) does both opening handshakes;
then the relay takes both sockets over (:class:`_Relay`): every frame is
relayed inside the read callback that read it, in one write per read, and
only session-status frames are rewritten. A frame from the gateway that is not
rewritten reaches the client byte for byte. Pings, pongs and closing
handshakes pass between the two ends, which answer each other.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import ipaddress
import logging
import os
import secrets
import signal
import struct
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import InvalidHandshake, InvalidURI
from websockets.frames import CloseCode
from websockets.protocol import Side, State

try:  # the library's own C masking, as it uses it
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - a build without the extension
    from websockets.utils import apply_mask

from migrator.errors import ConfigError
from migrator.manifest import Manifest, load_manifest

from migrator.compat.audit import Audit
from migrator.compat.defaults import DEFAULT_LISTEN, DEFAULT_MAX_FRAME_BYTES, DEFAULT_UPSTREAM
from migrator.compat.frames import DROP, FrameSession
from migrator.compat.negotiation import Policy
from migrator.compat.translation import Translator
from migrator.compat.usage import UsageCounters

log = logging.getLogger("migrator.compat")



@dataclass(frozen=True)
class ProxyConfig:
    """Everything the proxy needs, validated by :func:`proxy_config`."""

    host: str
    port: int
    upstream: str
    policy: Policy = Policy()
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    open_timeout: float = 10.0
    today: _dt.date | None = None
    manifest: Manifest = field(default_factory=load_manifest)


def parse_listen(text: str) -> tuple[str, int]:
    """Split ``HOST:PORT`` (``[::1]:PORT`` for IPv6); raise :class:`ConfigError`."""
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"--listen {text!r}: expected HOST:PORT, like 127.0.0.1:18790")
    return host, int(port)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def proxy_config(
    listen: str = DEFAULT_LISTEN,
    upstream: str = DEFAULT_UPSTREAM,
    *,
    policy: Policy = Policy(),
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    allow_remote: bool = False,
    manifest: Manifest | None = None,
) -> ProxyConfig:
    """Validate the proxy's options into a :class:`ProxyConfig`.

    Raises :class:`ConfigError` with one line for a bad ``listen`` address, a
    non-loopback one without ``allow_remote``, a bad upstream URL or size.
    """
    host, port = parse_listen(listen)
    if not allow_remote and not is_loopback(host):
        raise ConfigError(
            f"--listen {listen!r} is not a loopback address; pass --allow-remote to accept other machines"
        )
    parts = urlsplit(upstream)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ConfigError(f"--upstream {upstream!r}: expected a ws:// or wss:// URL, like {DEFAULT_UPSTREAM}")
    try:
        parts.port
    except ValueError:
        raise ConfigError(f"--upstream {upstream!r}: the port is not a number") from None
    if max_frame_bytes < 1024:
        raise ConfigError(f"--max-frame-bytes {max_frame_bytes}: must be at least 1024")
    manifest = manifest or load_manifest()
    policy.check(manifest)
    return ProxyConfig(host, port, upstream, policy, max_frame_bytes, manifest=manifest)


# Opcodes (RFC 6455 section 5.2), and the first bytes of final frames.
_CONTINUATION, _TEXT, _BINARY, _CLOSE = 0x0, 0x1, 0x2, 0x8
_FINAL_TEXT, _FINAL_CLOSE = 0x81, 0x88
_CONTROL = (0x8, 0x9, 0xA)  # close, ping, pong
# A frame's header and mask are at most this long.
_HEAD_MAX = 14
# How long a shutting proxy waits for a side to take what is still to be
# written before it drops the socket.
_SHUT_TIMEOUT_S = 10.0


class _Handshaken:
    """A library connection that reads only the opening handshake: the bytes
    after it, frames already, are kept in :attr:`early` for the relay, which
    takes the socket over once both sides are open (:class:`_Relay`); reading
    waits meanwhile, so a client cannot pile up bytes while the upstream
    handshake is under way. The connection stays as the shell the server and
    ``async with`` close."""

    relay: "_Relay | None" = None
    early: bytearray | None = None  # read after the handshake, before the relay took over
    _head = b""  # the handshake read so far, to find its end across reads
    _answer_status = b""  # the start a handshake must have to be split off (a client's: 101)

    def data_received(self, data: bytes) -> None:
        if self.early is None and self.protocol.state is State.CONNECTING:  # type: ignore[attr-defined]
            start = len(self._head)
            self._head += data
            end = self._head.find(b"\r\n\r\n")
            if end >= 0 and self._head.startswith(self._answer_status):
                # A request, or an accepting response, has no body: what
                # follows is frames (a gateway speaks first, right after 101).
                cut = end + 4 - start
                self.early, self._head = bytearray(), b""
                super().data_received(data[:cut])  # type: ignore[misc]
                data = data[cut:]
                if not data:
                    return
        if self.early is not None:
            self.early += data
            self.transport.pause_reading()  # type: ignore[attr-defined]
            return
        super().data_received(data)  # type: ignore[misc]

    async def close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        relay = self.relay
        if relay is not None and not relay.done.done():
            relay.shut(code, reason)
            await asyncio.shield(self.connection_lost_waiter)  # type: ignore[attr-defined]
            return
        if relay is None and self.early is not None:
            # Closed before any relay: the library reads on, for the closing handshake.
            early, self.early = self.early, None
            if early:
                super().data_received(bytes(early))  # type: ignore[misc]
            _resume(self.transport)  # type: ignore[attr-defined]
        await super().close(code, reason)  # type: ignore[misc]


class _HandshakenServerConnection(_Handshaken, ServerConnection):
    pass


class _HandshakenClientConnection(_Handshaken, ClientConnection):
    _answer_status = b"HTTP/1.1 101 "


def _resume(transport: asyncio.Transport) -> None:
    if not transport.is_closing():
        transport.resume_reading()


class _Side(asyncio.Protocol):
    """One socket of a relayed connection, once its handshake is done: the
    frames read here are written to :attr:`peer` as they come, in one write
    per read. A frame that is not renamed goes on as the very bytes it
    arrived in, header and all, and a run of such frames as one slice of the
    read. Frames from a client keep the mask the client chose (RFC 6455
    section 5.3): the gateway reads them as it would read them directly, and
    a frame written here is masked with a fresh random key. A text message in
    fragments is gathered and renamed whole; a binary one passes frame by
    frame; pings, pongs and closes pass as they are, so the two ends answer
    each other."""

    peer: "_Side"

    def __init__(self, relay: "_Relay", conn: "_Handshaken", rewrite: Callable[[bytes], bytes | None]) -> None:
        self.relay, self.conn, self.rewrite = relay, conn, rewrite
        self.transport: asyncio.Transport = conn.transport  # type: ignore[attr-defined]
        self.masked = conn.protocol.side is Side.SERVER  # type: ignore[attr-defined]  # frames from a client
        self.limit = conn.protocol.max_message_size  # type: ignore[attr-defined]
        self._pending: list[bytes] = []  # the start of a frame read here, the rest to come
        self._pending_size = 0
        self._wanted = 0  # bytes the frame in _pending needs, once its header is read
        self._parts: list[bytes] | None = None  # a text message in fragments, gathered
        self._fragments = False  # a binary message in fragments, passing frame by frame
        self._message_size = 0  # of the message in fragments, so far
        self._held: set[str] = set()  # why reading waits: the peer's buffer is full, or this side's
        self.sent_close = False  # a close frame came from here: nothing after it is read
        self.told_close = False  # a close frame went to this side
        self.lost = False

    def data_received(self, data: bytes) -> None:
        if self.sent_close:
            return
        if self._pending:
            self._pending.append(data)
            self._pending_size += len(data)
            if self._pending_size < self._wanted:
                return
            data = b"".join(self._pending)
            self._pending, self._pending_size, self._wanted = [], 0, 0
        out: list[bytes] = []
        try:
            rest = self._frames(data, out)
        except _Violation as exc:
            self._write_out(out)
            self.relay.fail(self, exc.code, exc.reason)
            return
        except Exception as exc:  # a bug, not the peers' doing: both are told, the proxy serves on
            self._write_out(out)
            log.error("relay failed: %s: %s", type(exc).__name__, exc, exc_info=log.isEnabledFor(logging.DEBUG))
            self.relay.front.send_close(CloseCode.INTERNAL_ERROR, "proxy error")
            self.relay.back.send_close(CloseCode.GOING_AWAY, "proxy error")
            return
        self._write_out(out)
        if rest:
            self._pending, self._pending_size = [rest], len(rest)

    def _write_out(self, out: list[bytes]) -> None:
        if out and not self.peer.lost:
            self.peer.transport.write(out[0] if len(out) == 1 else b"".join(out))

    def _frames(self, data: bytes, out: list[bytes]) -> bytes:
        """Relay the complete frames of ``data`` into ``out``; return the
        incomplete frame at its end. Raises :class:`_Violation` for a frame
        the protocol or the size limit forbids, the frames before it in ``out``."""
        masked, rewrite, limit = self.masked, self.rewrite, self.limit
        view, pos, end = memoryview(data), 0, len(data)
        run = 0  # data[run:pos] are frames passing as they are, not yet in out
        try:
            while end - pos >= 2:
                head1, head2 = data[pos], data[pos + 1]
                opcode, size, start = head1 & 0x0F, head2 & 0x7F, pos + 2
                if head1 & 0x70 or bool(head2 & 0x80) is not masked:
                    raise _Violation(CloseCode.PROTOCOL_ERROR, "reserved bits set or wrong masking")
                if size == 126:
                    if end - start < 2:
                        break
                    size, start = (data[start] << 8) | data[start + 1], start + 2
                elif size == 127:
                    if end - start < 8:
                        break
                    size, start = int.from_bytes(data[start:start + 8], "big"), start + 8
                if opcode in _CONTROL:
                    if not head1 & 0x80 or size > 125:
                        raise _Violation(CloseCode.PROTOCOL_ERROR, "fragmented or long control frame")
                elif opcode > _BINARY:
                    raise _Violation(CloseCode.PROTOCOL_ERROR, f"unknown opcode {opcode}")
                elif limit is not None and size + self._message_size > limit:
                    raise _Violation(CloseCode.MESSAGE_TOO_BIG,
                                     f"over size limit ({size + self._message_size} > {limit} bytes)")
                stop = start + size + (4 if masked else 0)
                if stop > end:
                    self._wanted = stop - pos
                    break
                fin = head1 & 0x80
                if opcode == _TEXT or opcode == _CONTINUATION and self._parts is not None:
                    payload = apply_mask(view[start + 4:stop], data[start:start + 4]) if masked else data[start:stop]
                else:
                    payload = b""  # passes as it is: never looked at
                replacement = None
                if opcode == _TEXT or opcode == _BINARY:
                    if self._parts is not None or self._fragments:
                        raise _Violation(CloseCode.PROTOCOL_ERROR, "a new message before the last one ended")
                    if not fin:
                        self._message_size = size
                        if opcode == _TEXT:  # gathered, renamed once whole
                            self._parts = [payload]
                            if run < pos:
                                out.append(data[run:pos])
                            pos = run = stop
                            continue
                        self._fragments = True
                    elif opcode == _TEXT:
                        replacement = rewrite(payload)
                elif opcode == _CONTINUATION:
                    if self._parts is not None:
                        self._parts.append(payload)
                        self._message_size += size
                        if run < pos:
                            out.append(data[run:pos])
                        pos = run = stop
                        if fin:
                            whole, self._parts, self._message_size = b"".join(self._parts), None, 0
                            self._deliver(rewrite(whole), whole, out)
                        continue
                    if not self._fragments:
                        raise _Violation(CloseCode.PROTOCOL_ERROR, "a continuation frame outside a message")
                    self._message_size += size
                    if fin:
                        self._fragments, self._message_size = False, 0
                if replacement is None:
                    pos = stop  # into the run
                else:
                    if run < pos:
                        out.append(data[run:pos])
                    self._deliver(replacement, payload, out)
                    pos = run = stop
                if opcode == _CLOSE:  # nothing is read after a close (section 5.5.1)
                    self.sent_close = self.peer.told_close = True
                    break
        except BaseException:
            if run < pos:
                out.append(data[run:pos])  # the frames before the one that failed go on
            raise
        if run < pos:
            out.append(data[run:pos] if run or pos < end else data)
        if self.sent_close:
            return b""
        return data[pos:] if pos < end else b""

    def _deliver(self, replacement: bytes | None, original: bytes, out: list[bytes]) -> None:
        """A whole text message on its way: renamed, refused (a request whose
        answer goes back to the client) or as it was (``original``)."""
        if replacement == DROP and self.masked and self.relay.session.answer is not None:
            answer, self.relay.session.answer = self.relay.session.answer, None
            if not self.lost:
                self.transport.write(_frame(_FINAL_TEXT, answer, False))
            return
        out.append(_frame(_FINAL_TEXT, original if replacement is None else replacement, self.masked))

    def send_close(self, code: int, reason: str) -> None:
        """Close this side: a close frame with ``code`` unless one went to it
        already, then the socket once what is still to be written is written."""
        if self.lost:
            return
        if not self.told_close:
            self.told_close = True
            self.transport.write(_frame(_FINAL_CLOSE, struct.pack("!H", code) + reason.encode()[:123], not self.masked))
        self.transport.close()

    def hold(self, why: str) -> None:
        if not self._held and not self.lost:
            self.transport.pause_reading()
        self._held.add(why)

    def release(self, why: str) -> None:
        self._held.discard(why)
        if not self._held and not self.lost:
            _resume(self.transport)

    # -- the transport's calls ---------------------------------------------

    def pause_writing(self) -> None:
        """This side's buffer is full: the other side's frames wait, and a
        client's own requests too (a refused one is answered into it)."""
        self.peer.hold("peer")
        if self.masked:
            self.hold("self")

    def resume_writing(self) -> None:
        self.peer.release("peer")
        if self.masked:
            self.release("self")

    def eof_received(self) -> bool:
        return False  # the transport closes, and connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.relay.gone(self)
        self.conn.connection_lost(exc)  # type: ignore[attr-defined]


class _Violation(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class _Relay:
    """One client connection and its upstream, relayed frame by frame on the
    sockets themselves once both handshakes are done. The library parsed the
    handshakes; what follows costs only the reads, the writes and the frames
    this code looks at. :attr:`done` is set when both sockets are closed."""

    def __init__(self, client: "_Handshaken", upstream: "_Handshaken", session: FrameSession) -> None:
        self.session = session
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.front = _Side(self, client, session.from_client)
        self.back = _Side(self, upstream, session.from_gateway)
        self.front.peer, self.back.peer = self.back, self.front
        sides = (self.front, self.back)
        for side in sides:
            side.conn.relay = self
            if side.transport.is_closing() or side.conn.protocol.state is not State.OPEN:  # type: ignore[attr-defined]
                side.lost = True  # went away before the relay began; connection_lost came already
            else:
                side.transport.set_protocol(side)
        for side in sides:  # what came right after the handshakes, even from a side gone since
            early, side.conn.early = side.conn.early, None
            if early:
                side.data_received(bytes(early))
        for side in sides:
            if side.lost:
                self.gone(side)
            elif not side._held:  # relaying the early bytes may have filled a buffer already
                _resume(side.transport)

    def gone(self, side: _Side) -> None:
        """``side``'s socket is closed: close the other, saying the peer went
        away unless the close frame ``side`` sent went on already."""
        other = side.peer
        if not other.lost:
            if side.sent_close:
                other.transport.close()  # its answer to that close has nowhere to go
            else:
                other.send_close(CloseCode.GOING_AWAY, "peer went away")
        if self.front.lost and self.back.lost and not self.done.done():
            self.done.set_result(None)

    def fail(self, side: _Side, code: int, reason: str) -> None:
        """``side`` broke the protocol or a limit: both sides are closed with ``code``."""
        log.info("closing a connection: %s", reason)
        side.send_close(code, reason)
        side.peer.send_close(code, reason)

    def shut(self, code: int, reason: str) -> None:
        """The proxy is closing: the client gets ``code``, the gateway 1001."""
        self.front.send_close(code, reason)
        self.back.send_close(CloseCode.GOING_AWAY, "proxy closing")
        loop = asyncio.get_running_loop()
        for side in (self.front, self.back):
            loop.call_later(_SHUT_TIMEOUT_S, side.transport.abort)


def _frame(first: int, data: bytes, masked: bool) -> bytes:
    """One frame (RFC 6455 section 5.2) with the first byte ``first`` (its
    FIN bit and opcode); a masked one has a fresh random key, as a client's
    must."""
    size, bit = len(data), 0x80 if masked else 0
    if size < 126:
        head = bytes((first, bit | size))
    elif size < 1 << 16:
        head = struct.pack("!BBH", first, bit | 126, size)
    else:
        head = struct.pack("!BBQ", first, bit | 127, size)
    if not masked:
        return head + data
    key = secrets.token_bytes(4)
    return head + key + apply_mask(data, key)


class GatewayProxy:
    """The running proxy: :meth:`start` it, read :attr:`port`, :meth:`close` it."""

    def __init__(self, config: ProxyConfig, counters: UsageCounters | None = None, audit: Audit | None = None) -> None:
        self.config = config
        self.counters = counters if counters is not None else UsageCounters()
        self.audit = audit  # when set, every frame to a client is searched for leaks
        self.translator = Translator(config.manifest)
        self._server: Server | None = None
        self._relays: set[_Relay] = set()

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        assert self._server is not None, "start() the proxy first"
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Bind the listening socket. Raises :class:`ConfigError` if it cannot."""
        try:
            self._server = await serve(
                self._handle,
                self.config.host,
                self.config.port,
                max_size=self.config.max_frame_bytes,
                compression=None,  # a relay gains nothing from inflating and deflating twice
                ping_interval=None,  # the gateway's own ticks keep the line alive
                create_connection=_HandshakenServerConnection,
            )
        except OSError as exc:
            # asyncio's strerror repeats the address; the errno's own words do not.
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise ConfigError(f"cannot listen on {self.config.host}:{self.config.port}: {reason}") from None

    async def close(self) -> None:
        """Stop accepting and close every connection."""
        if self._server is not None:
            # The library closes only the connections it still sees open; a
            # relay whose client sent its close already is closed here.
            for relay in list(self._relays):
                relay.shut(CloseCode.GOING_AWAY, "")
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, client: ServerConnection) -> None:
        origin = client.request.headers.get("Origin") if client.request else None
        try:
            upstream = await connect(
                self.config.upstream,
                origin=origin,  # type: ignore[arg-type]
                max_size=self.config.max_frame_bytes,
                compression=None,
                open_timeout=self.config.open_timeout,
                ping_interval=None,
                proxy=None,  # relay only to the configured upstream, never via an env proxy
                create_connection=_HandshakenClientConnection,
            )
        except (OSError, InvalidHandshake, InvalidURI, asyncio.TimeoutError) as exc:
            log.warning("upstream %s unavailable: %s", self.config.upstream, exc)
            await client.close(CloseCode.BAD_GATEWAY, "upstream gateway unavailable")
            return
        session = FrameSession(self.translator, self.config.policy, self.counters, self.config.today, self.audit)
        async with upstream:
            relay = _Relay(client, upstream, session)  # type: ignore[arg-type]
            self._relays.add(relay)
            try:
                await relay.done
            finally:
                self._relays.discard(relay)
        if session.negotiation is not None and session.negotiation.client == "old":
            log.info("%s", self.counters.get(session.client_id or "unknown", session.client_version or "unknown").line())


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The loop the proxy runs on: uvloop's where it is installed (a frame's
    wake-up, read and write cost less there than on asyncio's own loop, and
    each frame is one of each), otherwise asyncio's (``None``)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows, PyPy
        return None
    return uvloop.new_event_loop


async def run_proxy(
    config: ProxyConfig,
    counters: UsageCounters | None = None,
    *,
    stats: bool = False,
    stop: asyncio.Event | None = None,
    audit: Audit | None = None,
) -> UsageCounters:
    """Serve until ``stop`` is set or the process gets SIGINT/SIGTERM; return
    the usage counters (logged at the end when ``stats`` is true, with the
    audit's counts when there is an ``audit``)."""
    proxy = GatewayProxy(config, counters, audit)
    await proxy.start()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread, or not POSIX
            pass
    log.info("listening on %s:%d, relaying to %s", config.host, proxy.port, config.upstream)
    try:
        await stop.wait()
    finally:
        await proxy.close()
        if stats:
            for line in proxy.counters.report().splitlines():
                log.info("%s", line)
            if audit is not None:
                for line in audit.report().splitlines():
                    log.info("%s", line)
    return proxy.counters
