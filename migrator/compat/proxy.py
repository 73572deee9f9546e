"""A WebSocket proxy in front of one OpenClaw gateway.

Each client connection gets its own upstream connection and its own
:class:`FrameSession`; frames are relayed in both directions as they come, and
only session-status frames are rewritten. A complete frame is forwarded inside
the read callback that parsed it, as the raw bytes it arrived as, so a frame
that is not rewritten reaches the other side byte for byte and without waiting
for a task to wake up; the relay tasks take over whenever order or
backpressure needs them.
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
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.frames import CloseCode, Frame, Opcode
from websockets.protocol import Side, State
from websockets.streams import StreamReader

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


# The library's parser waits here, holding no byte, between two frames.
_AT_EOF = StreamReader.at_eof.__code__
# A frame read here and not all there yet is kept for the next chunk up to this
# size; a larger one goes to the library, which reads it without copying again.
_TAIL_MAX = 1 << 20
# Past this many bytes waiting in the other side's send buffer, frames go
# through the relay tasks, which wait for it to drain.
_DIRECT_HIGH_WATER = 1 << 20
# While frames stream in (a read that brought several frames, soon after the
# one before), reading waits this long before the next read, so the frames
# that come meanwhile are read, relayed and written in one go: each wake-up
# of the proxy costs system calls and a turn of the loop, and on a busy
# machine it takes the CPU from the two ends. (The loop's timers round it up
# to their clock: on Linux a millisecond.) A request and its answer, one
# frame per read, never wait.
_HOLD_S = 0.0005
_STREAM_GAP_S = 0.001
_STREAM_FRAMES = 2


class _Relayed:
    """A connection that forwards each complete frame to its ``peer`` the moment
    it is parsed, inside the read callback: no task wakes up between the two
    sockets. Whenever that could reorder or overrun (a message in fragments,
    frames already queued, the relay task mid-message, the peer's buffer full
    or the peer closing) the frame takes the queued path instead:
    :func:`_pump`, which waits for the peer to drain."""

    peer: "_Relayed | None" = None
    rewrite: Callable[[bytes], bytes | None] | None = None
    session: FrameSession | None = None
    pumping = False  # the relay task holds a message it has not sent yet
    _unflushed = False  # frames handed to the peer's protocol, not yet written
    _answered = False  # an answer to this side, not yet written
    _tail = b""  # the start of a frame read here, the rest still to come
    _forwarded = 0  # frames forwarded from the last chunk read
    _last_read = 0.0  # when the chunk before this one was read (the loop's clock)
    _holding = False  # reading waits for _resume, to read a stream in bigger chunks

    def data_received(self, data: bytes) -> None:
        # Every frame forwarded while reading this chunk goes out in one write.
        self._forwarded = 0
        if self._at_frame_start():
            data = self._forward_frames(data)
            self._hold_if_streaming()
        if data:
            super().data_received(data)  # type: ignore[misc]
        if self._answered:
            self._answered = False
            self.send_data()  # type: ignore[attr-defined]
        if self._unflushed:
            self._flush()

    def _hold_if_streaming(self) -> None:
        loop = self.loop  # type: ignore[attr-defined]
        now = loop.time()
        if self._forwarded >= _STREAM_FRAMES and now - self._last_read < _STREAM_GAP_S and not self._holding:
            self._holding = True
            self.transport.pause_reading()  # type: ignore[attr-defined]
            loop.call_later(_HOLD_S, self._resume)
        self._last_read = now

    def _resume(self) -> None:
        self._holding = False
        transport = self.transport  # type: ignore[attr-defined]
        # The library pauses reading too, while its own queue of frames is full.
        if not self.recv_messages.paused and not transport.is_closing():  # type: ignore[attr-defined]
            transport.resume_reading()

    def _flush(self) -> None:
        """Write what was forwarded to the peer, in one write: a transport
        sends each write at once."""
        self._unflushed = False
        peer = self.peer
        if peer is None:
            return
        chunks = peer.protocol.data_to_send()  # type: ignore[attr-defined]
        out = b"".join(chunks)
        if out:
            peer.transport.write(out)  # type: ignore[attr-defined]
        if not all(chunks):  # the end of the stream was among them (the peer is closing)
            peer.transport.close()  # type: ignore[attr-defined]

    def _at_frame_start(self) -> bool:
        """Whether the library's parser holds no byte and waits for the next
        frame: then the frames of a chunk can be read here, up to the first one
        it must see."""
        protocol = self.protocol  # type: ignore[attr-defined]
        if self.peer is None or protocol.state is not State.OPEN:
            return False
        if self._tail:
            return True  # the library has not seen these bytes: it still waits for a frame
        waiting = protocol.parser  # the innermost generator it is suspended in
        while getattr(waiting, "gi_yieldfrom", None) is not None:
            waiting = waiting.gi_yieldfrom
        return (
            getattr(waiting, "gi_code", None) is _AT_EOF
            and not protocol.reader.buffer
            and protocol.current_size is None
            and not protocol.extensions
        )

    def _forward_frames(self, data: bytes) -> bytes:
        """Forward the complete, final text and binary frames at the start of
        ``data``; return the rest (a control frame, a fragment, a frame too big,
        and all after it) for the library. A frame not all there yet is kept
        for the next chunk when it is small. Frames from a client are masked
        (RFC 6455 section 5.3), frames from the gateway are not.

        A frame from the gateway that passes unchanged goes on as the bytes it
        arrived in, header and all (frames to a client are unmasked as well), and
        a run of such frames as one slice of ``data``: no frame is built
        again. Frames from a client are masked afresh, as a client's must be."""
        if self._tail:
            data, self._tail = self._tail + data, b""
        masked = self.protocol.side is Side.SERVER  # type: ignore[attr-defined]
        peer = self.peer
        if peer is None or not self._can_forward():
            return data
        # Frames from the gateway can be copied as they are while the client's
        # side of the library has nothing of its own half-sent.
        protocol = peer.protocol  # type: ignore[attr-defined]
        raw = not masked and not protocol.extensions and not protocol.expect_continuation_frame
        rewrite = self.rewrite
        view, pos, end = memoryview(data), 0, len(data)
        limit = self.protocol.max_message_size  # type: ignore[attr-defined]
        run = 0  # data[run:pos] are unchanged frames not yet handed on
        while True:
            if end - pos < 2:
                incomplete = True
                break
            head1, head2 = data[pos], data[pos + 1]
            opcode, size, start = head1 & 0x0F, head2 & 0x7F, pos + 2
            incomplete = False
            if head1 & 0xF0 != 0x80 or bool(head2 & 0x80) is not masked or opcode not in (1, 2):
                break  # not final, reserved bits, wrong masking, or not text/binary
            if size == 126:
                if end - start < 2:
                    incomplete = True
                    break
                size, start = (data[start] << 8) | data[start + 1], start + 2
            elif size == 127:
                if end - start < 8:
                    incomplete = True
                    break
                size, start = int.from_bytes(data[start:start + 8], "big"), start + 8
            if limit is not None and size > limit:
                break
            if end - start < size + (4 if masked else 0):
                incomplete = size <= _TAIL_MAX
                break
            if raw:
                payload = data[start:start + size]
                replacement = rewrite(payload) if opcode == 1 and rewrite is not None else None
                self._forwarded += 1
                if replacement is None:
                    pos = start + size  # into the run
                    continue
                if run < pos:
                    protocol.writes.append(data[run:pos])
                protocol.writes.append(_frame(Opcode.TEXT, replacement, False))
                self._unflushed = True
                pos = run = start + size
                continue
            if masked:
                payload = apply_mask(view[start + 4:start + 4 + size], data[start:start + 4])
                start += 4
            else:
                payload = bytes(view[start:start + size])
            self._forward(peer, Frame(Opcode.TEXT if opcode == 1 else Opcode.BINARY, payload))
            self._forwarded += 1
            pos = start + size
            if not self._can_forward():
                break  # an answer queued, or the peer's buffer filled: the rest waits
        if run < pos and raw:
            protocol.writes.append(data[run:pos] if run or pos < end else data)
            self._unflushed = True
        if self._unflushed:
            self._flush()
        if incomplete:
            self._tail = data[pos:]
            return b""
        return data[pos:] if pos else data

    def _can_forward(self) -> bool:
        peer = self.peer
        return (
            peer is not None
            and not self.pumping
            and not self.recv_messages.frames.queue  # type: ignore[attr-defined]
            and peer.protocol.state is State.OPEN  # type: ignore[attr-defined]
            and peer.send_in_progress is None  # type: ignore[attr-defined]
            and peer.transport.get_write_buffer_size() < _DIRECT_HIGH_WATER  # type: ignore[attr-defined]
        )

    def process_event(self, event: object) -> None:
        peer = self.peer
        if (
            peer is not None
            and isinstance(event, Frame)
            and event.fin
            and event.opcode in (Opcode.TEXT, Opcode.BINARY)
            and self._can_forward()
        ):
            try:
                self._forward(peer, event)
                return
            except Exception:  # the relay task meets it again and closes both sides
                log.debug("direct relay failed; the frame takes the queued path", exc_info=True)
        super().process_event(event)  # type: ignore[misc]

    def _forward(self, peer: "_Relayed", event: Frame) -> None:
        data = event.data if isinstance(event.data, bytes) else bytes(event.data)
        if event.opcode is Opcode.TEXT and self.rewrite is not None:
            replacement = self.rewrite(data)
            if replacement is not None:
                if replacement == DROP and self.session is not None and self.session.answer is not None:
                    answer, self.session.answer = self.session.answer, None
                    self.protocol.send_text(answer)  # type: ignore[attr-defined]
                    self._answered = True
                    return
                data = replacement
        protocol = peer.protocol  # type: ignore[attr-defined]
        if not protocol.extensions and not protocol.expect_continuation_frame:
            # Written as the library would: masked towards the gateway, not towards the client.
            protocol.writes.append(_frame(event.opcode, data, protocol.side is Side.CLIENT))
        elif event.opcode is Opcode.TEXT:
            protocol.send_text(data)
        else:
            protocol.send_binary(data)
        self._unflushed = True


def _frame(opcode: Opcode, data: bytes, masked: bool) -> bytes:
    """One final, uncompressed frame (RFC 6455 section 5.2); a masked one has
    a fresh random key, as a client's must."""
    first, size, bit = 0x80 | opcode.value, len(data), 0x80 if masked else 0
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


class _RelayedServerConnection(_Relayed, ServerConnection):
    pass


class _RelayedClientConnection(_Relayed, ClientConnection):
    pass


class GatewayProxy:
    """The running proxy: :meth:`start` it, read :attr:`port`, :meth:`close` it."""

    def __init__(self, config: ProxyConfig, counters: UsageCounters | None = None, audit: Audit | None = None) -> None:
        self.config = config
        self.counters = counters if counters is not None else UsageCounters()
        self.audit = audit  # when set, every frame to a client is searched for leaks
        self.translator = Translator(config.manifest)
        self._server: Server | None = None

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
                create_connection=_RelayedServerConnection,
            )
        except OSError as exc:
            # asyncio's strerror repeats the address; the errno's own words do not.
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise ConfigError(f"cannot listen on {self.config.host}:{self.config.port}: {reason}") from None

    async def close(self) -> None:
        """Stop accepting and close every connection."""
        if self._server is not None:
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
                create_connection=_RelayedClientConnection,
            )
        except (OSError, InvalidHandshake, InvalidURI, asyncio.TimeoutError) as exc:
            log.warning("upstream %s unavailable: %s", self.config.upstream, exc)
            await client.close(CloseCode.BAD_GATEWAY, "upstream gateway unavailable")
            return
        session = FrameSession(self.translator, self.config.policy, self.counters, self.config.today, self.audit)
        async with upstream:
            await _relay_both(client, upstream, session)
        if session.negotiation is not None and session.negotiation.client == "old":
            log.info("%s", self.counters.get(session.client_id or "unknown", session.client_version or "unknown").line())


async def _relay_both(client: ServerConnection, upstream: ClientConnection, session: FrameSession) -> None:
    """Relay until either side goes away, then close the other with its code."""
    if isinstance(client, _Relayed) and isinstance(upstream, _Relayed):
        client.peer, client.rewrite, client.session = upstream, session.from_client, session
        upstream.peer, upstream.rewrite = client, session.from_gateway
    up = asyncio.create_task(_pump(client, upstream, session.from_client, session))
    down = asyncio.create_task(_pump(upstream, client, session.from_gateway))
    done, pending = await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    first = done.pop()
    exc = first.exception()
    if exc is not None:
        log.error("relay failed: %s: %s", type(exc).__name__, exc)
        await asyncio.gather(
            client.close(CloseCode.INTERNAL_ERROR, "proxy error"),
            upstream.close(CloseCode.GOING_AWAY, "proxy error"),
            return_exceptions=True,
        )
        return
    gone = first.result()
    other = upstream if gone is client else client
    code, reason = _close_of(gone)
    await other.close(code, reason)


def _close_of(conn: ServerConnection | ClientConnection) -> tuple[int, str]:
    """The close code and reason to pass on to the other side."""
    rcvd = conn.protocol.close_rcvd or conn.protocol.close_sent
    if rcvd is None:
        return CloseCode.GOING_AWAY, "peer went away"
    code = rcvd.code
    # 1005/1006/1015 are reserved: they describe a close, they cannot be sent.
    if code in (CloseCode.NO_STATUS_RCVD, CloseCode.ABNORMAL_CLOSURE, CloseCode.TLS_HANDSHAKE):
        return CloseCode.GOING_AWAY, "peer went away"
    return code, rcvd.reason


async def _pump(
    source: ServerConnection | ClientConnection,
    target: ServerConnection | ClientConnection,
    rewrite: Callable[[str], str | bytes | None],
    session: FrameSession | None = None,
) -> ServerConnection | ClientConnection:
    """Forward every message from ``source`` to ``target``; return whichever
    of the two closed first.

    Binary messages pass through untouched. A text message is rewritten only
    when ``rewrite`` returns new text (UTF-8 bytes, sent as a text frame);
    otherwise the received text is sent again, and since valid UTF-8 decodes
    and re-encodes losslessly, the other side gets the same bytes. When
    ``rewrite`` refuses a request (:data:`DROP`), ``session.answer`` goes back
    to ``source`` instead.
    """
    while True:
        try:
            message = await source.recv()
        except ConnectionClosed:
            return source
        if isinstance(source, _Relayed):
            source.pumping = True
        text = isinstance(message, str)
        # Where the message goes: on to ``target``, or, for a refused request,
        # its answer back to ``source``.
        to, out = target, message
        if text:
            replacement = rewrite(message)  # type: ignore[arg-type]
            if replacement is not None:
                if replacement == DROP and session is not None and session.answer is not None:
                    to, out = source, session.answer
                    session.answer = None
                else:
                    out = replacement
        try:
            await to.send(out, text=text)
        except ConnectionClosed:
            return to
        finally:
            if isinstance(source, _Relayed):
                source.pumping = False


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
