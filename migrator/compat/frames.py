"""One WebSocket connection's view of the gateway protocol, without any I/O.

The gateway speaks first (``connect.challenge``); the client's first request is
``connect`` (its ``caps`` and ``client`` id); the gateway answers ``hello-ok``
(its ``server.version``). From then on requests carry ids, and a response is
known to be a ``sessions.list`` result only by the id of the request it answers.
:class:`FrameSession` follows that conversation and rewrites the frames that
carry session statuses; every other frame is left as the text it arrived as.

A Python gateway can use it directly: feed it the text of each frame in each
direction and send what it returns.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
from typing import Any

from migrator.compat.negotiation import Negotiation, Policy, negotiate
from migrator.compat.translation import Translator, tool_name, tool_result
from migrator.compat.usage import UsageCounters

log = logging.getLogger("migrator.compat")

CONNECT = "connect"
# Methods whose response carries a tool result; params name the tool
# (`name`, or the older `tool`: see translation.tool_name).
TOOL_METHODS = frozenset({"tools.invoke"})
# A gateway that never answers must not grow the table without end.
MAX_PENDING = 4096


class FrameSession:
    """Protocol state and translation for one client connection.

    :meth:`from_client` and :meth:`from_gateway` take a text frame and return
    the text to forward in its place, or ``None`` to forward the original
    unchanged (so untouched frames keep their exact bytes).
    """

    def __init__(
        self,
        translator: Translator,
        policy: Policy = Policy(),
        counters: UsageCounters | None = None,
        today: _dt.date | None = None,
    ) -> None:
        self.translator = translator
        self.policy = policy
        self.counters = counters
        self.today = today
        self.client_id: str | None = None
        self.client_version: str | None = None
        self.caps: tuple[str, ...] = ()
        self.negotiation: Negotiation | None = None
        self._connect_id: Any = None
        # request id -> (surface kind, surface name) of the responses to rewrite
        self._pending: dict[Any, tuple[str, str]] = {}
        # the same ids as JSON text, to skip parsing frames that answer others
        self._pending_marks: dict[Any, str] = {}
        manifest = translator.manifest
        self._methods = {s.name for s in manifest.gateway if s.kind == "response"}
        self._tools = {s.name for s in manifest.gateway if s.kind == "tool"}
        self._events = {s.name for s in manifest.gateway if s.kind == "event"}
        # Substrings that must occur in a frame before it is worth parsing.
        self._client_marks = tuple(self._methods | (TOOL_METHODS if self._tools else set()) | {CONNECT})
        self._event_marks = tuple(self._events)

    # -- client -> gateway -------------------------------------------------

    def from_client(self, text: str) -> str | None:
        """Note what a client request asks for. Requests carry no session
        status in OpenClaw's protocol, so they are always forwarded as they are."""
        if not any(mark in text for mark in self._client_marks):
            return None
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
        elif method in TOOL_METHODS:
            tool = tool_name(params)
            if tool in self._tools:
                self._track(rid, ("tool", tool))
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
            oldest = next(iter(self._pending))
            del self._pending[oldest], self._pending_marks[oldest]
        self._pending[rid] = surface
        self._pending_marks[rid] = json.dumps(rid, ensure_ascii=False)

    # -- gateway -> client -------------------------------------------------

    def from_gateway(self, text: str) -> str | None:
        """Rewrite a session-status response or event into the client's
        vocabulary; return ``None`` when the frame goes through unchanged."""
        awaiting_hello = self._connect_id is not None and self.negotiation is None
        if not (
            awaiting_hello
            or any(mark in text for mark in self._event_marks)
            or any(mark in text for mark in self._pending_marks.values())
        ):
            return None
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
            del self._pending_marks[rid]
            payload = frame.get("payload")
            if surface_kind == "tool":
                payload = tool_result(payload)
            if payload is None or frame.get("ok") is False:
                return None
            return self._serve(frame, surface_kind, name, payload)
        if kind == "event":
            name = str(frame.get("event"))
            if name in self._events and "payload" in frame:
                return self._serve(frame, "event", name, frame["payload"])
        return None

    def _note_hello(self, frame: dict[str, Any]) -> str | None:
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
                return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
        return None

    def _negotiate(self, version: str | None) -> Negotiation:
        manifest = self.translator.manifest
        self.negotiation = negotiate(
            manifest, gateway_version=version, caps=self.caps, policy=self.policy, today=self.today
        )
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

    def _serve(self, frame: dict[str, Any], kind: str, name: str, payload: Any) -> str | None:
        negotiation = self.negotiation or self._negotiate(None)
        changed = self.translator.serve(kind, name, payload, negotiation.client)
        if negotiation.client == "old" and self.counters is not None:
            self.counters.record(self.client_id, self.client_version, frames=1, translated=changed)
        if not changed:
            return None
        # OpenClaw sends compact JSON; keep non-ASCII text as it came.
        return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def _parse(text: str) -> dict[str, Any] | None:
    try:
        frame = json.loads(text)
    except ValueError:
        return None  # not ours to judge: the other side answers malformed JSON
    return frame if isinstance(frame, dict) else None
