"""One WebSocket connection's view of the gateway protocol, without any I/O.

The gateway speaks first (``connect.challenge``); the client's first request is
``connect`` (its ``caps`` and ``client`` id); the gateway answers ``hello-ok``
(its ``server.version``). From then on requests carry ids, and a response is
known to be a ``sessions.list`` result only by the id of the request it answers.
:class:`FrameSession` follows that conversation and rewrites the frames that
carry session statuses; every other frame is left as the bytes it arrived as.

Most frames need nothing: the decision is made from a frame's first bytes (its
``type`` and ``event`` name, or the ``id`` a response answers), and only a frame
of a session-status surface is parsed (with orjson) and written again.

A Python gateway can use it directly: feed it the text of each frame in each
direction and send what it returns.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import re
from typing import Any, AnyStr, Callable

import orjson

from migrator.compat.audit import Audit
from migrator.compat.negotiation import Negotiation, Policy, negotiate
from migrator.compat.translation import OldNameRefused, Translator, tool_name, tool_result
from migrator.compat.usage import UsageCounters

log = logging.getLogger("migrator.compat")

CONNECT = "connect"
# Methods whose response carries a tool result; params name the tool
# (`name`, or the older `tool`: see translation.tool_name).
TOOL_METHODS = frozenset({"tools.invoke"})
# A gateway that never answers must not grow the table without end.
MAX_PENDING = 4096
# Returned by from_client when the request is answered here and not forwarded:
# the answer is in FrameSession.answer.
DROP = b""

# `{"type":"event","event":"NAME"` or `{"type":"res","id":ID`: the order
# OpenClaw writes them in. A frame in another order is parsed whole.
_HEAD = r'\A\s*\{\s*"type"\s*:\s*"(event|res)"\s*,\s*"(?:event|id)"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)'
_HEAD_STR = re.compile(_HEAD)
_HEAD_BYTES = re.compile(_HEAD.encode())
# The commonest head of all, an event as OpenClaw writes it: its name is
# looked up without the regex (see FrameSession._event_decision).
_EVENT_LEAD = b'{"type":"event","event":"'
# What FrameSession._splice answers for a frame it cannot rename in its bytes.
_UNTOLD = object()
# A surface whose frames could not be renamed in their bytes this many times
# in a row (a gateway that puts other statuses beside the session's, as
# sessions.changed does with `acp` and `lastRun.outcome`) is parsed straight
# away, trying its bytes again once every _SPLICE_RETRY frames.
_SPLICE_MISSES, _SPLICE_RETRY = 4, 32
# What an event's name decides while the negotiation stands.
_PARSE, _PASS, _PASS_COUNTED = 0, 1, 2


class FrameSession:
    """Protocol state and translation for one client connection.

    :meth:`from_client` and :meth:`from_gateway` take a text frame (``str``, or
    its UTF-8 ``bytes``) and return the frame to forward in its place, or
    ``None`` to forward the original unchanged (so untouched frames keep their
    exact bytes).
    """

    def __init__(
        self,
        translator: Translator,
        policy: Policy = Policy(),
        counters: UsageCounters | None = None,
        today: _dt.date | None = None,
        audit: Audit | None = None,
    ) -> None:
        self.translator = translator
        self.policy = policy
        self.counters = counters
        self.today = today
        self.audit = audit
        self.client_id: str | None = None
        self.client_version: str | None = None
        self.caps: tuple[str, ...] = ()
        self.negotiation: Negotiation | None = None
        self.answer: bytes | None = None  # an error answered here instead of forwarding
        self._connect_id: Any = None
        # request id -> (surface kind, surface name) of the responses to look at
        self._pending: dict[Any, tuple[str, str]] = {}
        # event name (its bytes as written) -> _PARSE, _PASS, _PASS_COUNTED or
        # a test of the frame's bytes, for the negotiation in force (cleared
        # when it is made)
        self._event_decisions: dict[bytes, int | Callable[[bytes], bool | None]] = {}
        # (surface kind, name) -> frames in a row not renamed in their bytes
        self._splice_misses: dict[tuple[str, str], int] = {}
        manifest = translator.manifest
        self._methods = {s.name for s in manifest.gateway if s.kind == "response"}
        self._requests = {s.name for s in manifest.gateway if s.kind == "request"}
        self._tools = {s.name for s in manifest.gateway if s.kind == "tool"}
        self._events = {s.name for s in manifest.gateway if s.kind == "event"}

    # -- client -> gateway -------------------------------------------------

    def from_client(self, text: AnyStr) -> AnyStr | bytes | None:
        """Note what a client request asks for; walk a request surface's params
        to the gateway's names. Returns :data:`DROP` when the request is refused
        here (an old name after sunset); :attr:`answer` then holds the reply."""
        try:
            return self._from_client(text)
        except RecursionError:
            return None  # nested deeper than Python recurses: not ours to judge, it passes as it came

    def _from_client(self, text: AnyStr) -> AnyStr | bytes | None:
        frame = _parse(text)
        if frame is None or frame.get("type") != "req":
            return None
        method, rid = frame.get("method"), frame.get("id")
        if not isinstance(method, str) or not isinstance(rid, (str, int)):
            return None
        params = frame.get("params")
        if method == CONNECT and self._connect_id is None:
            self._note_connect(rid, params)
        elif method in self._methods:
            self._track(rid, ("response", method))
        elif method in TOOL_METHODS and (self._tools or self.audit is not None):
            tool = tool_name(params)
            if tool in self._tools or (tool is not None and self.audit is not None):
                self._track(rid, ("tool", tool or ""))
        elif self.audit is not None:
            self._track(rid, ("response", method))
        n = self.negotiation
        if method in self._requests and n is not None and (n.translating or not n.window_open):
            try:
                changed = self.translator.accept_request(method, params, n)
            except OldNameRefused as exc:
                self.answer = _dumps({"type": "res", "id": rid, "ok": False,
                                      "error": {"code": "INVALID_REQUEST", "message": str(exc)}})
                self._pending.pop(rid, None)
                return DROP
            if changed:
                return _dumps(frame)
        return None

    def _note_connect(self, rid: Any, params: Any) -> None:
        self._connect_id = rid
        if not isinstance(params, dict):
            return
        caps = params.get("caps")
        if isinstance(caps, list):
            self.caps = tuple(c for c in caps if isinstance(c, str))
        client = params.get("client")
        if isinstance(client, dict):
            cid, ver = client.get("id"), client.get("version")
            self.client_id = cid if isinstance(cid, str) else None
            self.client_version = ver if isinstance(ver, str) else None

    def _track(self, rid: Any, surface: tuple[str, str]) -> None:
        if len(self._pending) >= MAX_PENDING:
            del self._pending[next(iter(self._pending))]
        self._pending[rid] = surface

    # -- gateway -> client -------------------------------------------------

    def from_gateway(self, text: AnyStr) -> AnyStr | bytes | None:
        """Rewrite a session-status response or event into the client's
        vocabulary; return ``None`` when the frame goes through unchanged."""
        try:
            return self._from_gateway(text)
        except RecursionError:
            # JSON that orjson reads but nests deeper than a walk over it (or
            # a dump of it) recurses: not ours to judge, it passes as it came.
            return None

    def _from_gateway(self, text: AnyStr) -> AnyStr | bytes | None:
        awaiting_hello = self._connect_id is not None and self.negotiation is None
        head = None
        if not awaiting_hello and isinstance(text, bytes) and text.startswith(_EVENT_LEAD):
            decision = self._event_decision(text)
            if decision == _PASS:
                return None
            if decision == _PASS_COUNTED:
                if self.counters is not None:
                    self.counters.record(self.client_id, self.client_version, frames=1)
                return None
            if callable(decision):
                carries = decision(text)
                if carries is False:
                    return None  # this frame of the surface lacks what the surface requires
                if carries is None:
                    # A frame of the surface with no name the client's
                    # vocabulary renames: nothing to change; an old client's counts.
                    if self.counters is not None and self.negotiation is not None and self.negotiation.client == "old":
                        self.counters.record(self.client_id, self.client_version, frames=1)
                    return None
        elif not awaiting_hello:
            head = (_HEAD_BYTES if isinstance(text, bytes) else _HEAD_STR).match(text)
            if head is not None and not self._worth_parsing(head.group(1), head.group(2)):
                return None
        if isinstance(text, bytes) and not awaiting_hello and self.audit is None:
            spliced = self._splice(text, head)
            if spliced is not _UNTOLD:
                return spliced  # type: ignore[return-value]
        frame = _parse(text)
        if frame is None:
            return None
        kind = frame.get("type")
        if kind == "res":
            rid = frame.get("id")
            if awaiting_hello and rid == self._connect_id:
                return self._note_hello(frame)
            if not isinstance(rid, (str, int)) or rid not in self._pending:
                return None
            surface_kind, name = self._pending.pop(rid)
            payload = frame.get("payload")
            if surface_kind == "tool":
                payload = tool_result(payload)
            if payload is None or frame.get("ok") is False:
                return None
            return self._serve(frame, surface_kind, name, payload)
        if kind == "event":
            name = str(frame.get("event"))
            if "payload" in frame and (name in self._events or (self.audit is not None and self.negotiation is not None)):
                return self._serve(frame, "event", name, frame["payload"])
        return None

    def _splice(self, text: bytes, head: re.Match[bytes] | None = None) -> bytes | None | object:
        """A surface's frame renamed in its bytes (None: it passes unchanged),
        or :data:`_UNTOLD` when it is to be parsed: see Translator.splice.
        ``head``: the frame's head, where the caller has matched it already."""
        n = self.negotiation
        if head is None:
            head = _HEAD_BYTES.match(text)
        if n is None or head is None:
            return _UNTOLD
        token = _token(head.group(2))
        if head.group(1) == b"event":
            kind, name = "event", token
            if name not in self._events:
                return _UNTOLD
        else:
            surface = self._pending.get(token) if isinstance(token, (str, int)) else None
            if surface is None or surface[0] != "response":
                return _UNTOLD
            kind, name = surface
        misses = self._splice_misses.get((kind, name), 0)
        if misses >= _SPLICE_MISSES and misses % _SPLICE_RETRY:
            self._splice_misses[(kind, name)] = misses + 1
            return _UNTOLD
        result = self.translator.splice(kind, name, token, text, n.client)
        if result is None:
            self._splice_misses[(kind, name)] = misses + 1
            return _UNTOLD
        if misses:
            self._splice_misses[(kind, name)] = 0
        out, changed = result
        if kind == "response":
            del self._pending[token]
        if n.client == "old" and self.counters is not None:
            self.counters.record(self.client_id, self.client_version, frames=1, translated=changed)
        return out

    def _event_decision(self, text: bytes) -> int | Callable[[bytes], bool | None] | None:
        """What an event's name decides (None: the head is not plain enough
        to tell), remembered per name: the same for every frame of it while
        the negotiation stands, so most frames cost a dict lookup. For a
        surface that only some frames are (``requires``), the decision to
        parse is the translator's test of the frame's bytes."""
        close = text.find(b'"', len(_EVENT_LEAD))
        if close < 0:
            return None
        name = text[len(_EVENT_LEAD):close]
        decision = self._event_decisions.get(name)
        if decision is not None:
            return decision
        if b"\\" in name:
            return None  # an escape: the token's value is decided the long way
        try:
            value = name.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if self.audit is not None:
            decision = _PARSE
        elif value in self._events:
            decision = self._surface_decision()
            if decision == _PARSE:
                client = self.negotiation.client if self.negotiation is not None else None
                decision = self.translator.precheck("event", value, client) or _PARSE
        else:
            decision = _PASS
        self._event_decisions[name] = decision
        return decision

    def _worth_parsing(self, kind: str | bytes, token: str | bytes) -> bool:
        """From a frame's first bytes: could it need a rewrite (or an audit)?"""
        if self.audit is not None:
            return True
        value = _token(token)
        if kind in ("event", b"event"):
            surface: tuple[str, str] | None = ("event", value) if value in self._events else None
        else:
            surface = self._pending.get(value) if isinstance(value, (str, int)) else None
        if surface is None:
            return False
        decision = self._surface_decision()
        if decision == _PARSE:
            return True
        if kind in ("res", b"res"):
            del self._pending[value]
        if decision == _PASS_COUNTED and self.counters is not None:
            self.counters.record(self.client_id, self.client_version, frames=1)
        return False

    def _surface_decision(self) -> int:
        """What a frame of a session-status surface needs under the negotiation
        in force: a walk (:data:`_PARSE`), or none when the gateway announced
        the names this client gets, only a count for an old client. (A version
        set by the operator is a guess about a build whose own says nothing, so
        its frames are still walked.)"""
        n = self.negotiation
        if n is not None and n.client == n.upstream and self.policy.gateway_version is None:
            return _PASS_COUNTED if n.client == "old" else _PASS
        return _PARSE

    def _note_hello(self, frame: dict[str, Any]) -> bytes | None:
        """Negotiate from ``hello-ok``. When the gateway is too old to speak new
        names but this connection gets them, say so the way the gateway lists
        its own abilities (``features.capabilities``): ``server.version`` alone
        would tell the client to expect old names."""
        version = None
        payload = frame.get("payload")
        if frame.get("ok") is True and isinstance(payload, dict):
            server = payload.get("server")
            if isinstance(server, dict) and isinstance(server.get("version"), str):
                version = server["version"]
        n = self._negotiate(version)
        if n.client == "new" and n.upstream == "old" and isinstance(payload, dict):
            features = payload.get("features")
            caps = features.get("capabilities") if isinstance(features, dict) else None
            capability = self.translator.manifest.capability
            if isinstance(caps, list) and capability not in caps:
                caps.append(capability)
                return _dumps(frame)
        return None

    def _negotiate(self, version: str | None) -> Negotiation:
        manifest = self.translator.manifest
        self.negotiation = negotiate(
            manifest, gateway_version=version, caps=self.caps, policy=self.policy, today=self.today
        )
        self._event_decisions.clear()  # they were made for no negotiation
        n = self.negotiation
        if n.gateway_version is None:
            log.warning("gateway announced no usable version (%r); assuming it is before sunset", version)
        log.debug(
            "client %s %s: %s names (%s); gateway %s speaks %s names",
            self.client_id, self.client_version, n.client, n.reason, n.gateway_version, n.upstream,
        )
        if n.client == "old" and self.counters is not None:
            self.counters.record(self.client_id, self.client_version, connections=1)
        return n

    def _serve(self, frame: dict[str, Any], kind: str, name: str, payload: Any) -> bytes | None:
        negotiation = self.negotiation or self._negotiate(None)
        changed = self.translator.serve(kind, name, payload, negotiation.client)
        if negotiation.client == "old" and self.counters is not None and self.translator.has_surface(kind, name):
            self.counters.record(self.client_id, self.client_version, frames=1, translated=changed)
        if self.audit is not None:
            self.audit.check(kind, name, frame.get("payload"), negotiation.client, self.translator)
        if not changed:
            return None
        return _dumps(frame)


def _token(token: str | bytes) -> Any:
    """The value of a JSON string or integer token from a frame's head."""
    try:
        return orjson.loads(token)
    except orjson.JSONDecodeError:
        return None


def _parse(text: str | bytes) -> dict[str, Any] | None:
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError:
        try:  # orjson refuses integers beyond 64 bits, which JSON allows
            frame = json.loads(text)
        except (ValueError, RecursionError):  # (nested deeper than Python recurses)
            return None  # not ours to judge: the other side answers malformed JSON
    return frame if isinstance(frame, dict) else None


def _dumps(frame: Any) -> bytes:
    """Compact JSON with non-ASCII kept, as OpenClaw writes it."""
    try:
        return orjson.dumps(frame)
    except TypeError:  # an integer beyond 64 bits
        return json.dumps(frame, ensure_ascii=False, separators=(",", ":")).encode()
