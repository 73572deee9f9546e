"""Format-preserving edits of JSON and JSON5 text.

A data rule changes a handful of string values; everything else in the file
(key order, indentation, spacing, comments in JSON5) must stay byte for byte.
So the document is parsed for its meaning, the RFC 6902 patch is compiled
from it (:func:`migrator.pointers.compile_patch`), and each ``replace`` is
applied by splicing the new string over the byte span of the old one. The
result is parsed again and must equal the patched document (applied with
``jsonpatch``), or the edit is refused.
"""

from __future__ import annotations

import copy as copy_module
import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import json5
import jsonpatch
import orjson

from migrator.pointers import PointerPattern, compile_patch, split


class JsonSyntaxError(ValueError):
    """The text is not a valid document (or holds a duplicate key)."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        where = f" (line {line}, column {column})" if line else ""
        super().__init__(f"{message}{where}")
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Edit:
    """One value changed in a document: where, and from what to what."""

    pointer: str
    line: int
    column: int
    old: str
    new: str


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def _positions(text: str, offsets: Sequence[int]) -> list[tuple[int, int]]:
    """:func:`_position` of each of ``offsets`` (ascending) in one forward
    pass: a file with many edits costs its length once, not once per edit."""
    out = []
    line, counted, start = 1, 0, 0  # start: where the line of `counted` begins
    for offset in offsets:
        newlines = text.count("\n", counted, offset)
        if newlines:
            line += newlines
            start = text.rfind("\n", counted, offset) + 1
        counted = offset
        out.append((line, offset - start + 1))
    return out


# --- parsing for meaning -------------------------------------------------


def _no_duplicates(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JsonSyntaxError(f"duplicate key {key!r}")
        out[key] = value
    return out


def parse(text: str, *, json5_syntax: bool = False) -> Any:
    """Parse JSON (or JSON5) text, refusing duplicate keys: which of two
    values a reader keeps is not defined, so neither may be migrated."""
    if json5_syntax:
        try:
            return json5.loads(text, object_pairs_hook=_no_duplicates, allow_duplicate_keys=True)
        except JsonSyntaxError:
            raise
        except ValueError as exc:
            raise JsonSyntaxError(f"invalid JSON5: {exc}") from None
    fast = _parse_fast(text)
    if fast is not None:
        return fast[0]
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None


# orjson reads an integer past 64 bits as a float without a word: a run of
# 19 digits or more sends the text to the careful parse.
_LONG_INTEGER = re.compile(r"\d{19}")


def _parse_fast(text: str) -> tuple[Any] | None:
    """The document parsed by ``orjson``, when it is proven to hold no
    duplicate key; None when unsure (the careful parse decides).

    Outside strings a colon only separates a key from its value, so the
    colons of the text are its key/value pairs plus the colons inside its
    strings; ``orjson.dumps`` of the document writes the same, less any pair
    a duplicate key dropped. Without a ``\\u003a`` escape no string holds more
    colons decoded than written, so equal counts leave no pair dropped.
    What ``orjson`` refuses (a lone surrogate, an integer past 64 bits,
    ``NaN``) also goes to the careful parse."""
    if "\\u003" in text or _LONG_INTEGER.search(text):
        return None
    try:
        doc = orjson.loads(text)
        again = orjson.dumps(doc)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError, RecursionError):
        return None
    return (doc,) if text.count(":") == again.count(b":") else None


# --- locating string values ----------------------------------------------

_WS_JSON = re.compile(r"[ \t\r\n]*")
_WS_JSON5 = re.compile(r"(?:\s|//[^\n]*|/\*.*?\*/)*", re.S)
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\.)*"')
# The same, unrolled (fast on long strings), for text already known to be valid.
_STRING_FAST = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_STRING5 = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', re.S)
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")
_SCALAR5 = re.compile(
    r"[+-]?(?:Infinity|NaN|0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|true|false|null"
)
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")

Span = tuple[int, int]


class _Scanner:
    """A small tokenizer that walks the text once and records the span of
    every string value ``wanted`` accepts, keyed by its RFC 6901 pointer."""

    def __init__(self, text: str, json5_syntax: bool, wanted: Callable[[str], bool]) -> None:
        self.text = text
        self.json5 = json5_syntax
        self.wanted = wanted
        self.ws = _WS_JSON5 if json5_syntax else _WS_JSON
        self.string = _STRING5 if json5_syntax else _STRING
        self.scalar = _SCALAR5 if json5_syntax else _SCALAR
        self.spans: dict[str, Span] = {}

    def fail(self, pos: int, what: str) -> JsonSyntaxError:
        line, column = _position(self.text, pos)
        return JsonSyntaxError(what, line, column)

    def skip(self, pos: int) -> int:
        match = self.ws.match(self.text, pos)
        return match.end() if match else pos

    def decode(self, token: str) -> str:
        if token[0] == "'" or self.json5:
            value = json5.loads(token)
        else:
            value = json.loads(token)
        assert isinstance(value, str)
        return value

    def run(self) -> dict[str, Span]:
        # An explicit stack instead of recursion: deep documents are data too.
        text = self.text
        pos = self.skip(0)
        # Each frame: [container kind, pointer prefix, next index]
        stack: list[list[Any]] = []
        pointer = ""
        expect_value = True
        while True:
            if expect_value:
                if pos >= len(text):
                    raise self.fail(pos, "unexpected end of document")
                ch = text[pos]
                if ch == "{" or ch == "[":
                    kind = "o" if ch == "{" else "a"
                    stack.append([kind, pointer, 0])
                    pos = self.skip(pos + 1)
                    if text.startswith("}" if kind == "o" else "]", pos):  # empty
                        stack.pop()
                        pos += 1
                        expect_value = False
                    elif kind == "o":
                        pointer, pos = self._key(pos, stack[-1][1])
                    else:
                        pointer = f"{stack[-1][1]}/0"
                    continue
                match = self.string.match(text, pos)
                if match:
                    token = match.group(0)
                    value = self.decode(token)
                    if self.wanted(value):
                        self.spans[pointer] = (match.start(), match.end())
                    pos = match.end()
                    expect_value = False
                    continue
                match = self.scalar.match(text, pos)
                if not match:
                    raise self.fail(pos, "expected a value")
                pos = match.end()
                expect_value = False
                continue
            # After a value: a separator, a closing bracket, or the end.
            pos = self.skip(pos)
            if not stack:
                if pos != len(text):
                    raise self.fail(pos, "extra data after the document")
                return self.spans
            frame = stack[-1]
            close = "}" if frame[0] == "o" else "]"
            if pos < len(text) and text[pos] == ",":
                pos = self.skip(pos + 1)
                if self.json5 and text.startswith(close, pos):
                    stack.pop()
                    pos += 1
                    continue
                frame[2] += 1
                if frame[0] == "o":
                    pointer, pos = self._key(pos, frame[1])
                else:
                    pointer = f"{frame[1]}/{frame[2]}"
                expect_value = True
                continue
            if pos < len(text) and text[pos] == close:
                stack.pop()
                pos += 1
                continue
            raise self.fail(pos, f"expected ',' or '{close}'")

    def _key(self, pos: int, prefix: str) -> tuple[str, int]:
        from migrator.pointers import escape

        text = self.text
        match = self.string.match(text, pos)
        if match:
            key = self.decode(match.group(0))
        elif self.json5 and (match := _IDENT.match(text, pos)):
            key = match.group(0)
        else:
            raise self.fail(pos, "expected a key")
        pos = self.skip(match.end())
        if not text.startswith(":", pos):
            raise self.fail(pos, "expected ':'")
        return f"{prefix}/{escape(key)}", self.skip(pos + 1)


def string_spans(text: str, wanted: Callable[[str], bool], *, json5_syntax: bool = False) -> dict[str, Span]:
    """Character spans (quotes included) of every string value ``wanted``
    accepts, by RFC 6901 pointer."""
    return _Scanner(text, json5_syntax, wanted).run()


# --- the edit --------------------------------------------------------------


def _quote(new: str, like: str) -> str:
    if like.startswith("'"):
        return "'" + json.dumps(new)[1:-1].replace("'", "\\'") + "'"
    return json.dumps(new, ensure_ascii=False)


def _olds(ops: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The old value of each replaced path (the value its ``test`` checks)."""
    return {op["path"]: str(op["value"]) for op in ops if op["op"] == "test"}


def _replaces(ops: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [op for op in ops if op["op"] == "replace"]


def _fast_spans(text: str, ops: Sequence[Mapping[str, Any]], olds: Mapping[str, str]) -> dict[str, Span] | None:
    # The common JSONL line: each old value written plainly exactly once.
    # The re-parse below proves the guess; a wrong guess falls back to the
    # full scan.
    spans: dict[str, Span] = {}
    used: set[str] = set()
    for op in _replaces(ops):
        old = olds.get(op["path"])
        if old is None:
            return None
        token = json.dumps(old)
        if old in used or text.count(token) != 1:
            return None
        used.add(old)
        start = text.index(token)
        spans[op["path"]] = (start, start + len(token))
    return spans


# Past this many looks at a `"key": "old"` that is not the value sought (a
# nested decoy, text inside a string), the search gives way to the full scan.
_MISSES = 64


def _ordered_spans(text: str, ops: Sequence[Mapping[str, Any]], olds: Mapping[str, str]) -> dict[str, Span] | None:
    """The common document (``sessions.json``): each replaced value is the
    next ``"key": "old"`` after the one before it, with the key at the depth
    of its pointer. One pass over the text: the depth between two hits is
    counted on the text between them with its strings taken out. The
    re-parse check proves the guess; any doubt falls back to the full scan."""
    spans: dict[str, Span] = {}
    finders: dict[tuple[str, str], re.Pattern[str]] = {}
    at, depth = 0, 0  # text[:at] ends outside any string, at nesting `depth`
    misses = restarts = 0
    for op in _replaces(ops):
        path, old = op["path"], olds.get(op["path"])
        tokens = split(path)
        if old is None or not tokens:
            return None
        key = tokens[-1]
        finder = finders.get((key, old))
        if finder is None:
            finder = finders[(key, old)] = re.compile(
                re.escape(json.dumps(key, ensure_ascii=False)) + r"[ \t\r\n]*:[ \t\r\n]*("
                + re.escape(json.dumps(old, ensure_ascii=False)) + ")")
        pos = at
        while True:
            match = finder.search(text, pos)
            if match is None:
                if restarts >= _MISSES or at == 0:
                    return None
                # Patterns are compiled one after another: this one's values
                # may come before the last one's. Start again from the top.
                restarts += 1
                at = depth = pos = 0
                continue
            skeleton = _STRING_FAST.sub("", text[at : match.start()])
            if '"' not in skeleton:
                here = depth + skeleton.count("{") + skeleton.count("[") - skeleton.count("}") - skeleton.count("]")
                if here == len(tokens):
                    break
            misses += 1
            if misses > _MISSES:
                return None
            pos = match.start() + 1
        spans[path] = match.span(1)
        at, depth = match.end(), here
    return spans


def _patched(doc: Any, ops: Sequence[Mapping[str, Any]]) -> Any:
    """``doc`` with the patch applied in place (RFC 6902). A patch of only
    ``test`` and ``replace`` (what :func:`compile_patch` makes) is applied
    here, one pointer walk per operation; any other goes to ``jsonpatch``."""
    if any(op["op"] not in ("test", "replace") for op in ops):
        try:
            return jsonpatch.apply_patch(doc, list(ops), in_place=True)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            raise JsonSyntaxError(f"patch does not apply: {exc}") from None
    for op in ops:
        path = op["path"]
        tokens = split(path)
        if not tokens:
            raise JsonSyntaxError("patch does not apply: a replace of the whole document")
        parent = doc
        try:
            for token in tokens[:-1]:
                parent = parent[int(token)] if type(parent) is list else parent[token]
            key: Any = int(tokens[-1]) if type(parent) is list else tokens[-1]
            value = parent[key]
        except (KeyError, IndexError, ValueError, TypeError):
            raise JsonSyntaxError(f"patch does not apply: no value at {path}") from None
        if op["op"] == "test":
            if value != op["value"]:
                raise JsonSyntaxError(f"patch does not apply: test failed at {path}")
        else:
            parent[key] = op["value"]
    return doc


def apply_patch_text(
    text: str,
    doc: Any,
    ops: Sequence[Mapping[str, Any]],
    *,
    json5_syntax: bool = False,
) -> tuple[str, list[Edit]]:
    """Apply a test/replace patch of string values to ``text`` (whose meaning
    is ``doc``) by splicing; only the replaced values' characters change.

    Raises :class:`JsonSyntaxError` when a ``test`` fails or the spliced text
    does not re-parse to the patched document.
    """
    if not ops:
        return text, []
    # The expected document, patched in place on a copy of ``doc``: for JSON
    # the text parsed again by the C parser, far cheaper than a deep copy.
    copy = copy_module.deepcopy(doc) if json5_syntax else json.loads(text)
    expected = _patched(copy, ops)
    olds = _olds(ops)
    attempts: list[Callable[[], dict[str, Span] | None]] = []
    if not json5_syntax:
        attempts.append(lambda: _fast_spans(text, ops, olds))
        attempts.append(lambda: _ordered_spans(text, ops, olds))
    wanted = set(olds.values())
    attempts.append(lambda: string_spans(text, wanted.__contains__, json5_syntax=json5_syntax))
    for attempt in attempts:
        spans = attempt()
        if spans is None:
            continue
        result = _splice(text, ops, olds, spans)
        if result is None:
            continue
        new_text, edits = result
        if parse(new_text, json5_syntax=json5_syntax) == expected:
            return new_text, edits
    raise JsonSyntaxError("the edited text does not parse to the patched document; left unchanged")


def _splice(text: str, ops: Sequence[Mapping[str, Any]], olds: Mapping[str, str],
            spans: Mapping[str, Span]) -> tuple[str, list[Edit]] | None:
    located = []
    for op in _replaces(ops):
        span = spans.get(op["path"])
        if span is None or op["path"] not in olds:
            return None
        located.append((span, op))
    located.sort(key=lambda item: item[0][0])
    pieces: list[str] = []
    edits: list[Edit] = []
    last = 0
    positions = _positions(text, [start for (start, _), _ in located])
    for ((start, end), op), (line, column) in zip(located, positions):
        token = text[start:end]
        pieces.append(text[last:start])
        pieces.append(_quote(op["value"], token))
        edits.append(Edit(op["path"], line, column, olds[op["path"]], op["value"]))
        last = end
    pieces.append(text[last:])
    return "".join(pieces), edits


def migrate_json_text(
    text: str,
    patterns: Sequence[PointerPattern],
    mapping: Mapping[str, str],
    *,
    json5_syntax: bool = False,
) -> tuple[str, list[Edit]]:
    """Rename the string values the pointer ``patterns`` name (old -> new per
    ``mapping``) in JSON or JSON5 ``text``, changing no other character.

    Returns the new text and one :class:`Edit` per changed value (1-based
    line and column of the old value's opening quote). Usable on any JSON
    text, e.g. a fenced ``json`` block of a Markdown file. Raises
    :class:`JsonSyntaxError` for text that is not a valid document.
    """
    doc = parse(text, json5_syntax=json5_syntax)
    ops = compile_patch(doc, patterns, mapping)
    return apply_patch_text(text, doc, ops, json5_syntax=json5_syntax)
