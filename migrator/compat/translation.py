"""Walk session-status payloads between the two vocabularies, Stripe style.

Every surface (a response, an event, a tool result) and every value map comes
from the manifest; this module only knows how to apply them. Translation is by
target vocabulary, not by source: mapping old->new leaves new names alone and
the reverse, because the manifest guarantees the two sets are disjoint. So a
payload is walked correctly whichever vocabulary the gateway happened to use,
and walking twice changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import msgspec

from migrator.errors import MigratorError
from migrator.manifest import GatewaySurface, Manifest, value_pattern
from migrator.pointers import PointerPattern, Rewriter, join

from migrator.compat.negotiation import Negotiation, Vocab

# Where a tool result keeps its text parts. This is the shape of OpenClaw's
# tool protocol ({"content": [{"type": "text", "text": ...}], "details": ...}),
# not part of the rename, so it is not in the manifest.
_TOOL_TEXT = PointerPattern.parse("/content/*/text")
_INDENTED = re.compile(r"^[\[{]\r?\n([ \t]+)")


class OldNameRefused(MigratorError):
    """An input used an old name after the deprecation window closed."""

    def __init__(self, pointer: str, old: str, new: str) -> None:
        self.pointer, self.old, self.new = pointer, old, new
        where = f" at {pointer}" if pointer else ""
        super().__init__(
            f"session status {old!r}{where} was renamed to {new!r}; "
            f"the old name is no longer accepted, send {new!r}"
        )


@dataclass(frozen=True)
class _Surface:
    spec: GatewaySurface
    patterns: Rewriter
    text_patterns: Rewriter | None
    splice: "_Splice | None" = None


# JSON's own white space (a regex's \s admits more).
_WS = rb"[ \t\n\r]*"


class _Splice:
    """Rename a surface's statuses in a frame's bytes without building the frame.

    The frame is decoded (msgspec, in C) into structs holding only the path
    to each pointer of the surface: the decode checks that the whole frame
    is JSON and reads the values at the pointers, skipping everything else.
    A byte pattern then finds every ``"status": "<name>"`` pair in the frame.
    When the frame holds no ``\\u`` escape, each key and name has one
    spelling, so every value at a pointer is one of those pairs; a pair
    whose opening quote is not escaped is a key and its string value, since
    the frame is JSON. So when there are as many pairs as values at the
    pointers, they are the same ones, and each is renamed where it stands:
    every other byte of the frame stays as it came. Otherwise (an escape, a
    decoy ``status`` elsewhere, a shape the structs do not take) the answer
    is None, and the frame is walked whole."""

    def __init__(self, kind: str, field: str, patterns: Iterable[PointerPattern]) -> None:
        tree: dict[str, Any] = {}
        for pattern in patterns:
            node = tree
            for segment in pattern.segments:
                node = node.setdefault("*" if segment is None else segment, {})
        head = [("type", Any, None), ("ok", Any, None), ("id" if kind == "response" else "event", Any, None)]
        self.frame: msgspec.json.Decoder[Any] = msgspec.json.Decoder(msgspec.defstruct(
            "Frame", [*head, ("payload", _struct_of(tree) | None, None)]
        ))
        self.key = json.dumps(field).encode()
        self.type, self.token = ("res", "id") if kind == "response" else ("event", "event")
        self.count = _counter(tree)
        self._renames: dict[int, tuple[re.Pattern[bytes], dict[bytes, bytes], frozenset[str], Callable[[re.Match[bytes]], bytes]]] = {}

    @staticmethod
    def fits(spec: GatewaySurface, field: str) -> bool:
        """Whether a surface's frames can be renamed in place: a response or
        an event with no required key and no JSON text inside, whose pointers
        each end at the field, go through named keys and whole arrays, and
        none of which ends where another goes on."""
        if spec.kind not in ("response", "event") or spec.requires or spec.text_pointers or not spec.pointers:
            return False
        paths = [PointerPattern.parse(p).segments for p in spec.pointers]
        for segments in paths:
            if not segments or segments[-1] != field or any(s is not None and s.isdigit() for s in segments):
                return False
            for other in paths:
                if len(other) > len(segments) and other[:len(segments)] == segments:
                    return False
        for depth in range(max(len(p) for p in paths)):
            for prefix in {p[:depth] for p in paths if len(p) > depth}:
                below = {p[depth] for p in paths if len(p) > depth and p[:depth] == prefix}
                if None in below and len(below) > 1:
                    return False  # `*` beside named keys: an object's values, not an array
        return True

    def __call__(self, raw: bytes, token: Any, mapping: Mapping[str, str]) -> tuple[bytes | None, int] | None:
        escaped = b"\\" in raw  # (a byte search, far quicker than one for two bytes)
        if escaped and b"\\u" in raw:
            return None
        try:
            frame: Any = self.frame.decode(raw)  # a struct made for the surface
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
        if frame.type != self.type or getattr(frame, self.token) != token:
            return None
        known = self._renames.get(id(mapping))
        if known is None:
            known = self._renames[id(mapping)] = self._renaming(mapping)
        if frame.ok is False or frame.payload is None:
            return None, 0  # nothing to serve, as the long way finds too
        pattern, renames, renamed, rename = known
        found = self.count(frame.payload, renamed)
        if not escaped:  # no quote is escaped: every pair found is a key and its value
            renamed_raw, pairs_found = pattern.subn(rename, raw)
            if pairs_found != found:
                return None
            if not found:
                return None, 0
            try:
                raw.decode("utf-8")  # a frame that is not text is not ours to change
            except UnicodeDecodeError:
                return None
            return renamed_raw, found
        pairs = list(pattern.finditer(raw))
        if len(pairs) != found:
            return None
        if not pairs:
            return None, 0
        out: list[bytes] = []
        at = 0
        for pair in pairs:
            start = escapes = pair.start()
            while escaped and start and raw[start - 1] == 0x5C:  # a backslash
                start -= 1
            if (escapes - start) % 2:
                return None  # the quote is escaped: inside a string
            value_start, value_end = pair.span(2)
            out += (raw[at:value_start], renames[pair.group(2)])
            at = value_end
        out.append(raw[at:])
        try:
            raw.decode("utf-8")  # a frame that is not text is not ours to change
        except UnicodeDecodeError:
            return None
        return b"".join(out), found

    def _renaming(self, mapping: Mapping[str, str]) -> tuple[
        re.Pattern[bytes], dict[bytes, bytes], frozenset[str], Callable[[re.Match[bytes]], bytes]
    ]:
        """For one value map: the pattern of a pair that holds a name it
        renames (the pair up to the name, then the name), each name's new
        bytes, the names, and the pair renamed."""
        def spelled(name: str) -> bytes:
            return json.dumps(name, ensure_ascii=False)[1:-1].encode()

        renamed = sorted((k for k, v in mapping.items() if k != v), key=lambda k: (-len(k), k))
        tokens = b"|".join(re.escape(spelled(n)) for n in renamed)
        pattern = re.compile(b"(" + re.escape(self.key) + _WS + b":" + _WS + b'")(' + tokens + b')"')
        renames = {spelled(k): spelled(mapping[k]) for k in renamed}

        def rename(pair: re.Match[bytes]) -> bytes:
            return pair[1] + renames[pair[2]] + b'"'

        return pattern, renames, frozenset(renamed), rename


def _counter(tree: Mapping[str, Any]) -> Callable[[Any, frozenset[str]], int]:
    """The function that counts the values at the leaves of ``tree`` below a
    node that are among the names given. It runs on every frame renamed in
    its bytes, so it is built as one function of plain loops over the
    structs of :func:`_struct_of`, not as a call per node."""
    lines = ["def count(node, names):", " n = 0"]

    def emit(sub: Mapping[str, Any], var: str, depth: int) -> None:
        pad = " " * depth
        if not sub:
            lines.append(f"{pad}if {var}.__class__ is str and {var} in names: n += 1")
            return
        lines.append(f"{pad}if {var} is not None:")
        if set(sub) == {"*"}:
            lines.append(f"{pad} for i{depth} in {var}:")
            emit(sub["*"], f"i{depth}", depth + 2)
            return
        for k, child in enumerate(sub.values()):
            lines.append(f"{pad} v{depth}_{k} = {var}.f{k}")
            emit(child, f"v{depth}_{k}", depth + 1)

    emit(tree, "node", 1)
    lines.append(" return n")
    scope: dict[str, Any] = {}
    exec("\n".join(lines), scope)  # the source is built above from field numbers only
    return scope["count"]  # type: ignore[no-any-return]


def _struct_of(tree: Mapping[str, Any]) -> Any:
    """The msgspec type that holds the values below ``tree`` (keys to
    subtrees, ``*`` for each item of an array, an empty tree for a value)."""
    if not tree:
        return Any
    if set(tree) == {"*"}:
        return list[_struct_of(tree["*"]) | None]  # type: ignore[misc]
    fields = [(f"f{i}", _struct_of(sub) | None, None) for i, sub in enumerate(tree.values())]
    return msgspec.defstruct("Part", fields, rename={f"f{i}": key for i, key in enumerate(tree)})


class Translator:
    """The manifest's value map and gateway surfaces, ready to apply to frames.

    Build one per manifest and share it: it holds no per-connection state.
    """

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        vocabulary = manifest.vocabulary
        self._maps: dict[Vocab, Mapping[str, str]] = {
            "old": vocabulary.new_to_old,
            "new": dict(vocabulary.old_to_new),
        }
        self._old = vocabulary.old_to_new
        # A cheap test before parsing the JSON text inside a tool result.
        self._key = json.dumps(vocabulary.field)
        self._surfaces = {
            (s.kind, s.name): _Surface(
                s,
                Rewriter([PointerPattern.parse(p) for p in s.pointers]),
                Rewriter([PointerPattern.parse(p) for p in s.text_pointers]) if s.text_pointers else None,
                _Splice(s.kind, vocabulary.field, (PointerPattern.parse(p) for p in s.pointers))
                if _Splice.fits(s, vocabulary.field) else None,
            )
            for s in manifest.gateway
        }
        # The names a client of each vocabulary must not see in a session row.
        self._foreign: dict[Vocab, frozenset[str]] = {"new": vocabulary.old, "old": vocabulary.new}
        rows = manifest.gateway_rows
        self._row_keys = (vocabulary.field, *rows.identity)
        self._row_any = rows.any_of

    def has_surface(self, kind: str, name: str) -> bool:
        """Whether the manifest names ``name`` (a method, event or tool) as a
        session-status surface of ``kind`` (``response``, ``event``, ``tool``)."""
        return (kind, name) in self._surfaces

    def precheck(self, kind: str, name: str, vocabulary: Vocab | None = None) -> Callable[[bytes], bool | None] | None:
        """A test of a frame's raw bytes, so that a frame that cannot change
        passes unparsed: False when it lacks a key the surface requires (it
        is no frame of the surface), None when, given the ``vocabulary`` the
        client gets, it holds none of the names that vocabulary renames (a
        ``running`` session's change, say), True when it must be parsed. A
        key or a name is looked for as a JSON string token, any escape of it
        included; one found elsewhere only costs the parse. None when
        nothing can be told from the bytes."""
        surface = self._surfaces.get((kind, name))  # type: ignore[arg-type]
        if surface is None:
            return None
        keys = surface.spec.requires
        names = sorted(v for v, w in self._maps[vocabulary].items() if v != w) if vocabulary is not None else []
        if not keys and not names:
            return None
        plain = tuple(json.dumps(k, ensure_ascii=False).encode() for k in keys)
        spelled = tuple(value_pattern([k], "json") for k in keys)
        renamed = value_pattern(names, "json-unescaped").search if names else None
        any_renamed = value_pattern(names, "json").search if names else None

        def carries(raw: bytes) -> bool | None:
            if b"\\" not in raw:  # no escape: each key and name has one spelling
                for token in plain:
                    if token not in raw:
                        return False
                return True if renamed is None or renamed(raw) is not None else None
            for pattern in spelled:
                if pattern.search(raw) is None:
                    return False
            return True if any_renamed is None or any_renamed(raw) is not None else None

        return carries

    def splice(self, kind: str, name: str, token: Any, raw: bytes, vocabulary: Vocab) -> tuple[bytes | None, int] | None:
        """Rename the session statuses of a surface's frame in its bytes, as
        :meth:`serve` would in its payload, every other byte kept: the new
        frame (None when nothing changes) and how many values changed. None
        when the bytes alone cannot show where the statuses are: then the
        frame is to be parsed and served. ``token`` is the request id a
        response answers, or the event's name, as the frame's head gave it."""
        surface = self._surfaces.get((kind, name))  # type: ignore[arg-type]
        if surface is None or surface.splice is None:
            return None
        return surface.splice(raw, token, self._maps[vocabulary])

    def value(self, value: str, vocabulary: Vocab) -> str:
        """One status value in ``vocabulary``; unknown strings stay as they are."""
        return self._maps[vocabulary].get(value, value)

    def serve(self, kind: str, name: str, payload: Any, vocabulary: Vocab) -> int:
        """Rewrite, in place, the session statuses of a surface's payload into
        ``vocabulary``; return how many values changed.

        For a response or event, ``payload`` is the frame's payload; for a tool,
        the tool result (``{"content": [...], "details": {...}}``), whose JSON
        text parts are rewritten too. Any other ``status`` in the payload is
        left alone, and so is a payload of a surface the manifest does not name.
        """
        surface = self._surfaces.get((kind, name))  # type: ignore[arg-type]
        if surface is None:
            return 0
        if surface.spec.requires and not (isinstance(payload, dict) and all(k in payload for k in surface.spec.requires)):
            return 0  # this payload does not carry the session snapshot
        mapping = self._maps[vocabulary]
        changed = surface.patterns(payload, mapping)
        if surface.text_patterns is not None:
            changed += self._serve_texts(payload, surface.text_patterns, mapping)
        return changed

    def _serve_texts(self, result: Any, rewrite: Rewriter, mapping: Mapping[str, str]) -> int:
        changed = 0
        for tokens, text in list(_TOOL_TEXT.matches(result)):
            if not isinstance(text, str) or self._key not in text:
                continue
            try:
                doc = json.loads(text)
            except ValueError:
                continue  # prose, not the JSON rendering of the result
            count = rewrite(doc, mapping)
            if count:
                parent = result
                for token in tokens[:-1]:
                    parent = parent[token]
                parent[tokens[-1]] = _dump_like(text, doc)
                changed += count
        return changed

    def accept_request(self, method: str, params: Any, negotiation: Negotiation) -> int:
        """Walk a request's params to the gateway's vocabulary, in place, when the
        manifest names ``method`` as a request surface; return how many changed."""
        surface = self._surfaces.get(("request", method))
        if surface is None:
            return 0
        return self.accept(params, surface.patterns, negotiation)

    def leaks(self, payload: Any, vocabulary: Vocab) -> list[tuple[str, str]]:
        """Every ``(pointer, value)`` of a session row or entry anywhere in
        ``payload`` (tool text parts included) whose status is a name of the
        other vocabulary than ``vocabulary``, surface or not: what the audit counts."""
        found: list[tuple[str, str]] = []
        self._find_leaks(payload, [], self._foreign[vocabulary], found)
        return found

    def _find_leaks(self, node: Any, path: list[str | int], foreign: frozenset[str], found: list[tuple[str, str]]) -> None:
        if isinstance(node, dict):
            value = node.get(self._row_keys[0])
            if (
                isinstance(value, str)
                and value in foreign
                and all(k in node for k in self._row_keys[1:])
                and (not self._row_any or any(k in node for k in self._row_any))
            ):
                found.append((join([*path, self._row_keys[0]]), value))
            for key, child in node.items():
                if isinstance(child, (dict, list)):
                    self._find_leaks(child, [*path, key], foreign, found)
                elif isinstance(child, str) and key == "text" and self._key in child:
                    try:
                        doc = json.loads(child)
                    except ValueError:
                        continue  # prose, not a JSON rendering
                    self._find_leaks(doc, [*path, key], foreign, found)
        elif isinstance(node, list):
            for i, child in enumerate(node):
                if isinstance(child, (dict, list)):
                    self._find_leaks(child, [*path, i], foreign, found)

    def accept(
        self,
        document: Any,
        pointers: Rewriter | Iterable[str | PointerPattern],
        negotiation: Negotiation,
    ) -> int:
        """Walk an input (a request's params or body) to the gateway's
        vocabulary, in place; return how many values changed.

        ``pointers`` name the statuses in ``document``, as pointer patterns
        (or those patterns compiled). After the window closes, an old name raises :class:`OldNameRefused`
        naming the new value, and nothing is changed.
        """
        if not isinstance(pointers, Rewriter):
            pointers = Rewriter([p if isinstance(p, PointerPattern) else PointerPattern.parse(p) for p in pointers])
        if not negotiation.window_open:
            for pattern in pointers.patterns:
                for tokens, value in pattern.matches(document):
                    if isinstance(value, str) and value in self._old:
                        raise OldNameRefused(join(tokens), value, self._old[value])
        return pointers(document, self._maps[negotiation.upstream])

    def accept_value(self, value: str, negotiation: Negotiation) -> str:
        """One input value (a query parameter, say) in the gateway's vocabulary."""
        if not negotiation.window_open and value in self._old:
            raise OldNameRefused("", value, self._old[value])
        return self._maps[negotiation.upstream].get(value, value)


# Where a response keeps the tool result: `output` in the WebSocket method
# (``{"ok", "toolName", "source", "output": {...}}``), `result` at the HTTP
# endpoint (``{"ok": true, "result": {...}}``). Protocol shape, like _TOOL_TEXT.
_RESULT_KEYS = ("output", "result")
# Where a request names its tool: `name` (the WebSocket method requires it; the
# HTTP endpoint reads it first) or `tool` (the HTTP endpoint's older spelling).
_TOOL_NAME_KEYS = ("name", "tool")


def tool_name(params: Any) -> str | None:
    """The tool a ``tools.invoke`` request (its params, or the HTTP body) names,
    read as OpenClaw reads it: ``name``, else ``tool``, blank ones skipped."""
    if not isinstance(params, dict):
        return None
    for key in _TOOL_NAME_KEYS:
        value = params.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def tool_result(payload: Any) -> Mapping[str, Any] | None:
    """The tool result inside a response payload: its ``output`` (WebSocket
    ``tools.invoke``), its ``result`` (the HTTP endpoint), or the payload itself."""
    if isinstance(payload, dict):
        for key in _RESULT_KEYS:
            inner = payload.get(key)
            if isinstance(inner, dict) and ("details" in inner or "content" in inner):
                return inner
        if "details" in payload or "content" in payload:
            return payload
    return None


def _dump_like(original: str, doc: Any) -> str:
    """Serialise ``doc`` the way ``original`` was written (OpenClaw renders
    tool results with ``JSON.stringify(result, null, 2)``)."""
    match = _INDENTED.match(original)
    if match:
        text = json.dumps(doc, indent=match.group(1), ensure_ascii=False)
    elif "\n" not in original.strip():
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(doc, ensure_ascii=False)
    trailing = original[len(original.rstrip()) :]
    return text + trailing
