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
