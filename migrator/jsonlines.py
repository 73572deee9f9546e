"""JSONL streamed in blocks of whole lines, in constant memory.

Each line is its own document. The stream is read 64 KiB at a time, cut after
its last newline (the partial line waits for the next read). A line that does
not parse is kept verbatim and reported; a last line without its newline that
does not parse is a record still being appended, and is left alone without
complaint. Only the renamed values' bytes change; every other byte, CRLF
endings included, is copied.

The ways a line is migrated, each falling back to the next when not sure:

0. Whole blocks, while most lines change under top-level key pointers.
   For one key (``/status``, :func:`_bulk_one_key`): every line read by
   ``msgspec`` for that key alone (the rest is validated, never built),
   the value spliced at the key's first spelling in the line, and the new
   line read again, which proves the splice was the key's only top-level
   value. For several keys (:func:`_bulk`): every line parsed and
   serialised again by ``orjson``; a line that comes out byte for byte as
   written is a record without a duplicate key, and its values are renamed
   in that form. Both report their edits (a file's first findings) in line
   order; a stream that writes a patch goes line by line.
1. Top-level keys, line by line: lines are found by one search for the old
   values over the block (other lines are never split out or decoded); the
   value's span is found by a search for ``"KEY":`` proven to sit at depth 1
   outside any string by a scan of the line prefix.
2. Any pointer: the old value's token written plainly exactly once, spliced
   and proven by re-parsing against the patched document.
3. The careful path of :mod:`migrator.jsonedit`: a full scan for the spans,
   duplicate keys refused, the result checked against ``jsonpatch``.

Duplicate keys: under top-level key pointers a changed line is refused
only when its top-level object holds the pointer's key twice (which value
is meant is then ambiguous); a duplicate deeper down, or of another key,
is never read or written, so it does not stop the rename
(:meth:`_Migrator._by_members` is the careful path there). Under other
pointers, ways 1 and 2 run only on a line proven free of duplicate keys
(see :func:`_no_duplicate_keys`); any other changed line takes way 3,
which refuses duplicates. A line is looked at if it holds an old value in
any spelling JSON allows (:func:`old_value_filter`).
"""

from __future__ import annotations

import functools
import json
import operator
import re
from collections import deque
from dataclasses import dataclass, field
from itertools import compress, repeat
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterator, Mapping, NamedTuple, Sequence

import orjson

from migrator import jsonedit
from migrator.hashing import StreamDigest
from migrator.jsonedit import Edit, JsonSyntaxError, apply_patch_text, parse
from migrator.manifest import value_pattern
from migrator.pointers import PointerPattern, compile_patch, join, split

if TYPE_CHECKING:
    import msgspec

# How many changed lines a plan keeps to show in a dry run.
SAMPLE_LINES = 20

# Bytes read at a time. Memory is bounded by this plus the longest line
# (and the batches the two digests hash beside the stream, a few per digest:
# migrator.hashing).
BLOCK = 1 << 18

# A JSON string token (the unrolled form: fast on long strings).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_WS = rb"[ \t\r\n]*"


@dataclass(frozen=True)
class LineEdit:
    """An :class:`Edit` inside line ``number`` of a JSONL file."""

    number: int
    edit: Edit


@dataclass
class StreamStats:
    """What one pass over a JSONL stream saw."""

    lines: int = 0
    changed_lines: int = 0
    edits: int = 0
    bad_lines: list[tuple[int, str]] = field(default_factory=list)
    truncated_tail: bool = False
    sha256: str = ""
    sample: list[tuple[int, bytes, bytes]] = field(default_factory=list)


def old_value_filter(mapping: Mapping[str, str]) -> re.Pattern[bytes]:
    """A byte pattern a line must match to possibly hold an old value: the
    value's string token in any spelling JSON allows (each character as it
    is or escaped), so a record can only be passed over if it holds none."""
    return value_pattern(mapping, "json")


# --- parsing ---------------------------------------------------------------


# The careful parse's own test for an integer orjson would read as a float,
# on bytes.
_LONG_INTEGER = re.compile(jsonedit._LONG_INTEGER.pattern.encode())


def _load(line: bytes) -> Any:
    """The meaning of one line. ``orjson`` first; whatever it refuses (a lone
    surrogate, a number beyond a double, deep nesting) is decided by ``json``,
    so a line is bad exactly when the standard library says so. An integer
    past 64 bits, which orjson reads as a float, goes to ``json`` too."""
    if not _LONG_INTEGER.search(line):
        try:
            return orjson.loads(line)
        except (orjson.JSONDecodeError, RecursionError):
            pass
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonSyntaxError(f"not valid UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # One line of the file: its number is the caller's, the column is ours.
        raise JsonSyntaxError(f"{exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise JsonSyntaxError("nested too deeply") from None


# The standard library's C scanner: one value from an offset, and one string.
_SCAN_VALUE: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_SCAN_STRING: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_WS_TEXT = re.compile(r"[ \t\r\n]*")


def _skip(text: str, at: int = 0) -> int:
    """Past the whitespace at ``at``."""
    match = _WS_TEXT.match(text, at)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _root_members(text: str) -> list[tuple[str, int, int, Any]] | None:
    """The members of the top-level object of ``text``, in order, duplicates
    included: each key, its value's character span and the value. None when
    the top level is not an object. Nested values are read by the C scanner
    and never looked into (a duplicate inside one is not this level's)."""
    at = _skip(text)
    if not text.startswith("{", at):
        return None
    members: list[tuple[str, int, int, Any]] = []
    try:
        at = _skip(text, at + 1)
        if text.startswith("}", at):
            at += 1
        else:
            while True:
                if not text.startswith('"', at):
                    raise JsonSyntaxError(f"expected a key (column {at + 1})")
                key, at = _SCAN_STRING(text, at + 1)
                at = _skip(text, at)
                if not text.startswith(":", at):
                    raise JsonSyntaxError(f"expected ':' (column {at + 1})")
                start = _skip(text, at + 1)
                value, at = _SCAN_VALUE(text, start)
                members.append((key, start, at, value))
                at = _skip(text, at)
                if text.startswith(",", at):
                    at = _skip(text, at + 1)
                elif text.startswith("}", at):
                    at += 1
                    break
                else:
                    raise JsonSyntaxError(f"expected ',' or '}}' (column {at + 1})")
    except StopIteration as exc:
        raise JsonSyntaxError(f"expected a value (column {exc.value + 1})") from None
    except ValueError as exc:  # json.JSONDecodeError from a string
        raise JsonSyntaxError(str(exc)) from None
    except RecursionError:
        raise JsonSyntaxError("nested too deeply") from None
    if _skip(text, at) != len(text):
        raise JsonSyntaxError(f"extra data (column {at + 1})")
    return members


def _no_duplicate_keys(line: bytes, doc: Any) -> bool:
    """True when ``line`` (whose meaning is ``doc``) is proven to hold no
    duplicate key; False when unsure.

    Outside strings a colon only separates a key from its value, so the
    colons of the line are its key/value pairs plus the colons written inside
    its strings. ``orjson.dumps(doc)`` writes the same for the parsed
    document, whose strings are those of the line (decoded), less any pair a
    duplicate key dropped. Without a ``\\u003a`` escape no string holds more
    colons decoded than written, so equal counts leave no pair dropped.
    """
    if b"\\u003" in line:
        return False
    try:
        again = orjson.dumps(doc)
    except (orjson.JSONEncodeError, RecursionError):
        return False
    return line.count(b":") == again.count(b":")


# The prefix of an object before one of its own keys, in the common shape:
# the opening brace, then no bracket and no backslash outside whole strings.
_FLAT = re.compile(rb'[ \t\r\n]*\{(?:[^"\[\]{}\\]++|"[^"\\]*+")*+')


def _at_top(body: bytes, at: int) -> bool:
    """``body[at]`` (in a valid JSON object) sits outside any string, in the
    top-level object."""
    return _FLAT.fullmatch(body, 0, at) is not None or _depth(body[:at]) == 1


def _depth(prefix: bytes) -> int:
    """Nesting depth at the end of ``prefix``, a prefix of a valid JSON text
    ending between tokens; -1 if it ends inside a string."""
    opens = prefix.count(b"{") + prefix.count(b"[")
    closes = prefix.count(b"}") + prefix.count(b"]")
    if opens == 1 and not closes and b"\\" not in prefix and not prefix.count(b'"') & 1:
        # One bracket in all: the document's own opening brace. No backslash,
        # so each quote opens or closes a string; an even count ends outside.
        return 1
    skeleton = _STRING.sub(b"", prefix)
    if b'"' in skeleton:
        return -1
    return skeleton.count(b"{") + skeleton.count(b"[") - skeleton.count(b"}") - skeleton.count(b"]")


def _column(body: bytes, offset: int) -> int:
    """1-based character column of byte ``offset`` (what the careful path reports)."""
    prefix = body[:offset]
    return offset + 1 if prefix.isascii() else len(prefix.decode("utf-8")) + 1


def _plain(word: str) -> bytes | None:
    """``"word"`` as bytes if that is the only way JSON can spell it without
    a ``\\u`` escape; None otherwise."""
    if any(ch in word for ch in '"\\/') or any(ord(ch) < 0x20 for ch in word):
        return None
    return b'"' + word.encode("utf-8") + b'"'


# --- one line ----------------------------------------------------------------


class _Migrator:
    """The patterns and mapping of one stream, compiled once."""

    def __init__(self, patterns: Sequence[PointerPattern], mapping: Mapping[str, str]) -> None:
        self.patterns = tuple(patterns)
        self.mapping = dict(mapping)
        self.tokens = {old: json.dumps(old, ensure_ascii=False).encode("utf-8") for old in self.mapping}
        self.new_tokens = {old: json.dumps(new, ensure_ascii=False).encode("utf-8")
                           for old, new in self.mapping.items()}
        # Way 1 (and 0) applies when every pointer is one literal key, and the keys
        # and old values have a single spelling free of \u.
        self.keys: list[tuple[str, str, re.Pattern[bytes]]] | None = None
        olds_plain = all(_plain(old) is not None for old in self.mapping)
        if olds_plain and self.patterns and all(len(p.segments) == 1 and p.segments[0] is not None
                                                for p in self.patterns):
            keys: list[tuple[str, str, re.Pattern[bytes]]] = []
            for p in self.patterns:
                key = p.segments[0]
                assert key is not None
                plain = _plain(key)
                if plain is None:
                    break
                pointer = join([key])
                if all(k != key for k, _, _ in keys):
                    keys.append((key, pointer, re.compile(re.escape(plain) + _WS + b":" + _WS + b'"')))
            else:
                self.keys = keys

    @functools.cached_property
    def one(self) -> "_OneKey | None":
        """The bulk reader of a rule of one top-level key, built (msgspec
        imported) only for a stream that reads whole blocks with it, not
        for a SQLite cell or a line migrated alone."""
        if self.keys is None or len(self.keys) != 1:
            return None
        return _OneKey(self.keys[0][0], self.tokens, self.new_tokens)

    def migrate(self, body: bytes, detail: bool, doc: Any = None) -> tuple[bytes, list[dict[str, Any]], list[Edit]]:
        """Migrate one record (without its line ending): the new bytes, the
        RFC 6902 patch and the edits; raises :class:`JsonSyntaxError` for a
        line that is not a record. ``doc`` is the line's meaning if already
        parsed (None: parse it). Without ``detail`` the patch and edits may
        be left out (the patch empty, one None per edit)."""
        if doc is None:
            doc = _load(body)
        if self.keys is not None and type(doc) is dict:
            done = self._top_level(body, doc, detail)
            return done if done is not None else self._by_members(body, detail)
        ops = compile_patch(doc, self.patterns, self.mapping)
        if not ops:
            return body, ops, []
        if _no_duplicate_keys(body, doc):
            fast = self._spliced(body, doc, ops)
            if fast is not None:
                return fast[0], ops, fast[1]
        # The careful path: duplicate keys refused, spans found by a full scan,
        # the result checked against jsonpatch's application of the patch.
        text = body.decode("utf-8")
        new_text, edits = apply_patch_text(text, parse(text), ops)
        return new_text.encode("utf-8"), ops, edits

    def _top_level(self, body: bytes, doc: dict[str, Any],
                   detail: bool) -> tuple[bytes, list[dict[str, Any]], list[Any]] | None:
        """Way 1; None when a duplicate key may be in the line (the top-level
        members are then read one by one, :meth:`_by_members`)."""
        assert self.keys is not None
        mapping = self.mapping
        hits = []
        for key, pointer, finder in self.keys:
            value = doc.get(key)
            if value.__class__ is str and value in mapping:
                hits.append((value, pointer, finder))
        if not hits:
            return body, [], []
        # Without a duplicate key (no escaped colon either, see
        # _no_duplicate_keys) the plain `"key":` found at depth 1 is the only
        # key that decodes to `key`, whatever \u escapes other strings hold
        # (a line json.dumps wrote with its default ensure_ascii); its value
        # must be the old value's plain token, checked below.
        if not _no_duplicate_keys(body, doc):
            return None
        spans = []
        for old, pointer, finder in hits:
            for match in finder.finditer(body):
                if _at_top(body, match.start()):
                    break
            else:
                return None
            start = match.end() - 1
            token = self.tokens[old]
            if not body.startswith(token, start):
                return None
            spans.append((start, start + len(token), old, pointer))
        if len(spans) > 1:
            spans.sort()
        pieces, last = [], 0
        for start, end, old, _ in spans:
            pieces.append(body[last:start])
            pieces.append(self.new_tokens[old])
            last = end
        pieces.append(body[last:])
        new = b"".join(pieces)
        if not detail:
            return new, [], [None] * len(spans)
        ops: list[dict[str, Any]] = []
        for old, pointer, _ in hits:
            ops.append({"op": "test", "path": pointer, "value": old})
            ops.append({"op": "replace", "path": pointer, "value": mapping[old]})
        edits = [Edit(pointer, 1, _column(body, start), old, mapping[old]) for start, _, old, pointer in spans]
        return new, ops, edits

    def _by_members(self, body: bytes, detail: bool) -> tuple[bytes, list[dict[str, Any]], list[Any]]:
        """The careful path under top-level key pointers: the top-level
        members read one by one, each key's value taken as the last one
        written (as every parser here reads it). A key whose value is old is
        refused when the top level holds it twice: which one is meant is
        ambiguous. Nothing below the top level is read for keys."""
        assert self.keys is not None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonSyntaxError(f"not valid UTF-8 (byte {exc.start})") from None
        members = _root_members(text)
        hits: list[tuple[int, int, str, str]] = []
        for key, pointer, _ in self.keys:
            mine = [m for m in members or () if m[0] == key]
            if not mine:
                continue
            _, start, end, value = mine[-1]
            if value.__class__ is str and value in self.mapping:
                if len(mine) > 1:
                    raise JsonSyntaxError(f"duplicate key {key!r}")
                hits.append((start, end, value, pointer))
        if not hits:
            return body, [], []
        ops: list[dict[str, Any]] = []
        for _, _, old, pointer in hits:
            ops.append({"op": "test", "path": pointer, "value": old})
            ops.append({"op": "replace", "path": pointer, "value": self.mapping[old]})
        hits.sort()
        pieces, last, edits = [], 0, []
        for start, end, old, pointer in hits:
            pieces += [text[last:start], json.dumps(self.mapping[old], ensure_ascii=False)]
            last = end
            edits.append(Edit(pointer, 1, start + 1, old, self.mapping[old]))
        pieces.append(text[last:])
        new = "".join(pieces).encode("utf-8")
        # The proof that only the named values changed: the new line means
        # the old one with those values replaced (compared as re-serialised,
        # so a NaN equals itself). A rare line: the cost does not matter.
        expected = _load(body)
        by_pointer = {pointer: key for key, pointer, _ in self.keys}
        for _, _, old, pointer in hits:
            expected[by_pointer[pointer]] = self.mapping[old]
        if json.dumps(_load(new), ensure_ascii=False) != json.dumps(expected, ensure_ascii=False):
            raise JsonSyntaxError("the rename could not be proven to change the named values alone")
        return new, ops, edits

    def _spliced(self, body: bytes, doc: Any, ops: list[dict[str, Any]]) -> tuple[bytes, list[Edit]] | None:
        """Way 2: every old value written plainly, once. The splice is proven
        by re-parsing against the document with each ``replace`` applied
        after its ``test`` (RFC 6902); any doubt takes the careful path."""
        pieces: list[tuple[int, int, dict[str, Any], str]] = []
        for i in range(0, len(ops), 2):
            test, replace = ops[i], ops[i + 1]
            token = self.tokens.get(test["value"]) or json.dumps(test["value"], ensure_ascii=False).encode()
            start = body.find(token)
            if start < 0 or body.find(token, start + 1) >= 0 or any(p[3] == test["value"] for p in pieces):
                return None
            pieces.append((start, start + len(token), replace, test["value"]))
        pieces.sort(key=lambda p: p[0])
        out, last, edits = [], 0, []
        for start, end, replace, old in pieces:
            out += [body[last:start], json.dumps(replace["value"], ensure_ascii=False).encode("utf-8")]
            last = end
            edits.append(Edit(replace["path"], 1, _column(body, start), old, replace["value"]))
        out.append(body[last:])
        new = b"".join(out)
        for i in range(0, len(ops), 2):
            parent, key = _locate(doc, ops[i]["path"])
            if parent is None or parent[key] != ops[i]["value"]:
                return None
            parent[key] = ops[i + 1]["value"]
        try:
            same = _load(new) == doc
        except JsonSyntaxError:
            return None
        return (new, edits) if same else None


def migrate_line(
    line: bytes,
    patterns: Sequence[PointerPattern],
    mapping: Mapping[str, str],
) -> tuple[bytes, list[dict[str, Any]], list[Edit]]:
    """Migrate one JSONL record (without its line ending). Returns the new
    bytes, the RFC 6902 patch and the edits; raises :class:`JsonSyntaxError`."""
    return _migrator_for(patterns, mapping).migrate(line, True)


def _migrator_for(patterns: Sequence[PointerPattern], mapping: Mapping[str, str]) -> _Migrator:
    return _compiled(tuple(patterns), tuple(mapping.items()))


# Callers such as the SQLite engine migrate cell after cell with one rule.
@functools.lru_cache(maxsize=16)
def _compiled(patterns: tuple[PointerPattern, ...], mapping: tuple[tuple[str, str], ...]) -> _Migrator:
    return _Migrator(patterns, dict(mapping))


def _locate(doc: Any, pointer: str) -> tuple[Any, Any]:
    tokens = split(pointer)
    node = doc
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node.get(token)
        if node is None:
            return None, None
    return node, (int(tokens[-1]) if isinstance(node, list) else tokens[-1])


def _split_ending(raw: bytes) -> tuple[bytes, bytes]:
    if raw.endswith(b"\r\n"):
        return raw[:-2], b"\r\n"
    if raw.endswith(b"\n"):
        return raw[:-1], b"\n"
    return raw, b""


# --- the stream --------------------------------------------------------------


def stream(
    source: BinaryIO,
    patterns: Sequence[PointerPattern],
    mapping: Mapping[str, str],
    sink: BinaryIO | None = None,
    *,
    copy: BinaryIO | None = None,
    on_edit: Any = None,
    on_patch: Any = None,
    edit_limit: int | None = None,
) -> StreamStats:
    """Read ``source`` in blocks of whole lines; write the migrated stream to
    ``sink`` (and the original bytes to ``copy``) if given. ``on_edit(LineEdit)``
    and ``on_patch(number, ops)`` are called per change; with ``edit_limit``,
    ``on_edit`` is called for the first that many edits only (the counts in
    the stats stay complete), and the rest of the stream runs at full speed.
    Memory stays bounded by the block size plus the longest line."""
    if on_edit is not None and edit_limit is not None:
        on_edit = _Limited(on_edit, edit_limit)
    stats = StreamStats()
    hasher = StreamDigest()
    try:
        return _stream(source, patterns, mapping, sink, copy, on_edit, on_patch, stats, hasher)
    except BaseException:
        hasher.abandon()  # the hashing thread ends; what the stream raised is what is told
        raise


def _stream(source: BinaryIO, patterns: Sequence[PointerPattern], mapping: Mapping[str, str], sink: BinaryIO | None,
            copy: BinaryIO | None, on_edit: Any, on_patch: Any, stats: StreamStats, hasher: StreamDigest) -> StreamStats:
    migrator = _Migrator(patterns, mapping)
    candidate = old_value_filter(mapping)
    # Without a backslash in a block each value has one spelling.
    plain = value_pattern(mapping, "json-unescaped")
    detail = on_edit is not None or on_patch is not None
    per_line = _block_one_key if migrator.keys is not None and len(migrator.keys) == 1 else _block
    # Whole blocks pay for every line, so they are used while most lines
    # change; per-line work pays only for candidates. They report edits (the
    # first findings of a file among them) but write no patch.
    can_bulk = bulk = migrator.keys is not None and on_patch is None
    pause = 0
    lines = 0
    partial: list[bytes] = []
    while True:
        chunk = source.read(BLOCK)
        if not chunk:
            break
        hasher.update(chunk)
        if copy is not None:
            copy.write(chunk)
        cut = chunk.rfind(b"\n") + 1
        if not cut:
            partial.append(chunk)  # a line longer than a block
            continue
        if partial:
            partial.append(chunk[:cut])
            block = b"".join(partial)
            partial = []
        else:
            block = chunk if cut == len(chunk) else chunk[:cut]
        if cut < len(chunk):
            partial.append(chunk[cut:])
        changed = stats.changed_lines
        done = None  # the new block and its number of lines
        if bulk and not pause:
            if migrator.one is not None:
                done = _bulk_one_key(block, lines, migrator, migrator.one, stats, on_edit)
            else:
                done = _bulk(block, lines, migrator, candidate, stats, on_edit)
            if done is None:
                pause = 16  # lines it cannot take: do not pay to find out again soon
        elif pause:
            pause -= 1
        if done is not None:
            out, count = done  # counted as the block was split into lines
        else:
            count = block.count(b"\n")
            run = _Pass(migrator, detail, stats, on_edit, on_patch)
            out = per_line(block, lines, candidate if b"\\" in block else plain, run)
        if isinstance(on_edit, _Limited) and on_edit.left <= 0:
            on_edit = None  # enough reported: from the next block on, count only
            detail = on_patch is not None
        if can_bulk:
            bulk = (stats.changed_lines - changed) * 2 > count
        if sink is not None:
            sink.write(out)
        lines += count
    tail = b"".join(partial)
    if tail:
        lines += 1
        _tail(tail, lines, migrator, candidate, detail, stats, sink, on_edit, on_patch)
    stats.lines = lines
    stats.sha256 = hasher.hexdigest()
    return stats


def _bulk(
    block: bytes,
    before: int,
    migrator: _Migrator,
    candidate: re.Pattern[bytes],
    stats: StreamStats,
    on_edit: Callable[[LineEdit], Any] | None = None,
) -> tuple[bytes, int] | None:
    """A block of whole lines where most lines change, for several top-level
    keys, with no loop in Python over the bytes of a line: every line is parsed by
    ``orjson`` (so every line is a valid record, as the per-line path would
    check), and a line with a value to rename is serialised again and must
    come out byte for byte as it was written. Such a line is a record
    without a duplicate key (the serialised dict would have lost one), and
    as ``orjson`` writes a dict item by item, serialising it with one value
    replaced changes that value's bytes and no other. A line without a
    value to rename is copied: its last top-level key is what the careful
    path reads too, duplicate or not. A changed line written differently
    (spacing, escapes, number forms) takes the per-line path with the
    meaning already parsed; None sends the whole block to the per-line path
    (a line that does not parse, a line that is not an object, CRLF
    endings, more than one changed line in eight written otherwise).
    ``on_edit`` hears of each edit, in order (see :func:`_finish`).
    Returns the new block and its number of lines."""
    if b"\r" in block:
        return None
    assert migrator.keys is not None
    lines = block.split(b"\n")
    lines.pop()
    dumps = orjson.dumps
    try:
        docs = list(map(orjson.loads, lines))
    except (orjson.JSONDecodeError, RecursionError):
        return None
    mapping = migrator.mapping
    changed: list[int] = []
    odd: list[int] = []
    out = list(lines)
    edits = 0
    try:
        # (A rule of one key reads its blocks by _bulk_one_key.)
        for i, doc in enumerate(docs):
            hits = [(key, doc.get(key)) for key, _, _ in migrator.keys]
            hits = [(key, old) for key, old in hits if old.__class__ is str and old in mapping]
            if not hits:
                continue
            if dumps(doc) != lines[i]:
                odd.append(i)
                continue
            for key, old in hits:
                doc[key] = mapping[old]
            edits += len(hits)
            out[i] = dumps(doc)
            changed.append(i)
    except AttributeError:  # a line that is not an object
        return None
    except orjson.JSONEncodeError:
        return None
    if len(odd) * 8 > len(lines):
        return None  # mostly written otherwise: the per-line path is quicker for these
    stats.changed_lines += len(changed)
    stats.edits += edits
    reports: dict[int, list[Any]] | None = None
    if on_edit is not None:
        # A rare case (several keys, findings still wanted): each changed
        # line's edits as the line-by-line path reports them.
        reports = {i: migrator.migrate(lines[i], True)[2] for i in changed}
    return _finish(lines, out, changed, odd, docs, before, migrator, stats, on_edit, reports), len(lines)


def _finish(lines: list[bytes], out: list[bytes], done: list[int], odd: list[int], docs: list[Any] | None,
            before: int, migrator: _Migrator, stats: StreamStats, on_edit: Callable[[LineEdit], Any] | None = None,
            reports: dict[int, list[Any]] | None = None) -> bytes:
    """The end of a whole-block path: the lines it left (``odd``, with their
    meaning in ``docs`` if parsed) migrated one by one, the sample of the
    changed lines (``done`` and those), and the new block. With ``on_edit``,
    ``reports`` holds the edits of the ``done`` lines by index; those of the
    lines left are added, and ``on_edit`` hears of all of them in line order."""
    sample: list[tuple[int, bytes, bytes]] = []
    if len(stats.sample) < SAMPLE_LINES:
        sample = [(before + i + 1, lines[i], out[i]) for i in done[:SAMPLE_LINES]]
    detail = on_edit is not None
    for i in sorted(odd):
        body = lines[i]
        try:
            new, _, found = migrator.migrate(body, detail, None if docs is None else docs[i])
        except JsonSyntaxError as exc:
            stats.bad_lines.append((before + i + 1, str(exc)))
            continue
        if found:
            out[i] = new
            stats.changed_lines += 1
            stats.edits += len(found)
            sample.append((before + i + 1, body, new))
            if reports is not None:
                reports[i] = found
    if sample:
        stats.sample = sorted(stats.sample + sample)[:SAMPLE_LINES]
    if on_edit is not None and reports:
        for i in sorted(reports):
            for edit in reports[i]:
                on_edit(LineEdit(before + i + 1, edit))
    out.append(b"")
    return b"\n".join(out)


class _OneKey:
    """What :func:`_bulk_one_key` needs for the rule of one top-level key:
    two ``msgspec`` readers of that key alone (its value decoded, and its
    value's bytes as written), and for each old value the two usual
    spellings of the pair (``"key":"old"`` and ``"key": "old"``) with
    their renamed forms."""

    def __init__(self, key: str, tokens: Mapping[str, bytes], new_tokens: Mapping[str, bytes]) -> None:
        import msgspec  # here: only a stream of such a rule pays for importing it

        # The field is renamed to the key, which need not be an identifier.
        value = msgspec.defstruct("Value", [("v", Any, None)], rename={"v": key}, gc=False)
        raw = msgspec.defstruct("RawValue", [("v", msgspec.Raw, msgspec.Raw(b""))], rename={"v": key}, gc=False)
        self.read_value = msgspec.json.Decoder(value).decode
        self.read_raw = msgspec.json.Decoder(raw).decode
        quoted = _plain(key)
        assert quoted is not None
        self.quoted = quoted
        self.compact = {old: quoted + b":" + token for old, token in tokens.items()}
        self.spaced = {old: quoted + b": " + token for old, token in tokens.items()}
        self.compact_new = {old: quoted + b":" + token for old, token in new_tokens.items()}
        self.spaced_new = {old: quoted + b": " + token for old, token in new_tokens.items()}
        self.new_raw = {old: msgspec.Raw(token) for old, token in new_tokens.items()}


_FIELD = operator.attrgetter("v")


def _bulk_one_key(block: bytes, before: int, migrator: _Migrator, one: _OneKey,
                  stats: StreamStats, on_edit: Callable[[LineEdit], Any] | None = None) -> tuple[bytes, int] | None:
    """A block of whole lines for the rule of one top-level key, with no
    full parse of any line.

    Every line is read by ``msgspec`` for that key alone: the line must be
    one valid JSON document (the rest of it is validated and skipped), and
    the key's value is the last one the top level holds, as every reader
    here takes it; the block must be valid UTF-8, which ``msgspec`` does not
    check in what it skips. A line whose value is old is spliced at the
    first ``"key"`` written in the line, where it must be followed by the
    old value's token, with no backslash before it (so no escaped spelling
    of the key comes first). The new line is read again: its key's value
    must be the new token. Then the splice was the value of the key's only
    top-level occurrence: a string token swapped for another leaves the
    rest of the line's structure as it was, no top-level occurrence comes
    before the first one written, and none after, nor is the spliced one
    nested, or the new line's last value would be another occurrence's,
    unchanged: the old value, which is not the new token. Any other line
    with an old value takes :meth:`_Migrator.migrate`; None sends the block
    to the per-line path (a line that is not one object, not UTF-8, CRLF
    endings). ``on_edit`` hears of each edit, in order. Returns the new
    block and its number of lines (counted as it is split, not counted
    again)."""
    import msgspec

    if b"\r" in block:
        return None
    lines = block.split(b"\n")
    lines.pop()
    try:
        values = list(map(_FIELD, map(one.read_value, lines)))
        block.decode("utf-8")
    except (msgspec.MsgspecError, UnicodeDecodeError, RecursionError):
        return None
    try:
        # Only a string equals a key of the mapping.
        flags = list(map(migrator.mapping.__contains__, values))
    except TypeError:  # a value that is a list or an object
        return None
    if True not in flags:
        return block, len(lines)
    # One C-level pass per step over the changed lines (a loop in Python
    # costs more than all of them together).
    changed = list(compress(range(len(values)), flags))
    olds = list(compress(values, flags))
    bodies = list(compress(lines, flags))
    firsts = list(map(bytes.find, bodies, repeat(one.quoted)))
    was = list(map(one.compact.__getitem__, olds))
    now = list(map(one.compact_new.__getitem__, olds))
    there = list(map(bytes.startswith, bodies, was, firsts))
    if False in there:  # written with json.dumps' default spacing, or otherwise
        for j in compress(range(len(there)), map(operator.not_, there)):
            was[j], now[j] = one.spaced[olds[j]], one.spaced_new[olds[j]]
            there[j] = firsts[j] >= 0 and bodies[j].startswith(was[j], firsts[j])
    escapes = list(map(bytes.find, bodies, repeat(b"\\"), repeat(0), firsts))
    # The first occurrence of the pair is at the first "key": it starts there.
    news = list(map(bytes.replace, bodies, was, now, repeat(1)))
    try:
        got = list(map(_FIELD, map(one.read_raw, news)))
    except (msgspec.MsgspecError, RecursionError):
        return None
    want = list(map(one.new_raw.__getitem__, olds))
    out = lines.copy()
    spliced: list[int] = []
    odd: list[int] = []
    if False not in there and escapes.count(-1) == len(escapes) and got == want:
        spliced = changed
        deque(map(out.__setitem__, changed, news), 0)
    else:
        for j, i in enumerate(changed):
            if there[j] and escapes[j] < 0 and got[j] == want[j]:
                out[i] = news[j]
                spliced.append(i)
            else:
                odd.append(i)
    stats.changed_lines += len(spliced)
    stats.edits += len(spliced)
    reports: dict[int, list[Any]] | None = None
    if on_edit is not None:
        # The value starts where the old pair ends, less the old token.
        assert migrator.keys is not None
        pointer = migrator.keys[0][1]
        mapping, tokens = migrator.mapping, migrator.tokens
        index = dict(zip(changed, range(len(changed))))
        reports = {}
        for i in spliced:
            j = index[i]
            old = olds[j]
            at = firsts[j] + len(was[j]) - len(tokens[old])
            reports[i] = [Edit(pointer, 1, _column(bodies[j], at), old, mapping[old])]
    return _finish(lines, out, spliced, odd, None, before, migrator, stats, on_edit, reports), len(lines)


class _Limited:
    """``on_edit`` for the first ``left`` edits only."""

    def __init__(self, on_edit: Callable[[LineEdit], Any], left: int) -> None:
        self.on_edit = on_edit
        self.left = left

    def __call__(self, edit: LineEdit) -> None:
        if self.left > 0:
            self.left -= 1
            self.on_edit(edit)


class _Pass(NamedTuple):
    """What a block's line-by-line pass works with: the rule's migrator,
    whether each edit is reported, the counts, and where edits and patch
    operations go."""

    migrator: "_Migrator"
    detail: bool
    stats: StreamStats
    on_edit: Any
    on_patch: Any


def _block(block: bytes, before: int, candidate: re.Pattern[bytes], run: "_Pass") -> bytes:
    """Migrate a block of whole lines (each ending in a newline) that follows
    ``before`` lines; return the new block. Lines without an old value are
    copied as bytes, never split out or decoded."""
    migrator, detail, stats, on_edit, on_patch = run
    pieces: list[bytes] = []
    copied = 0  # block[:copied] is in pieces
    counted, number = 0, before  # lines before offset `counted`
    for start, _, end in _candidate_lines(block, candidate):
        number += block.count(b"\n", counted, start)
        counted = start
        copied = _careful_line(block, pieces, copied, start, end, number, migrator, None, detail, stats, on_edit, on_patch)
    return _joined(block, pieces, copied)


def _candidate_lines(block: bytes, candidate: re.Pattern[bytes]) -> Iterator[tuple[int, int, int]]:
    """Each line of ``block`` (whole lines) that ``candidate`` matches, once:
    its start, the first match's offset and its end (before any CR LF)."""
    skip = 0  # matches before this offset belong to a line already seen
    rfind, index = block.rfind, block.index
    for match in candidate.finditer(block):
        at = match.start()
        if at < skip:
            continue
        start = rfind(b"\n", 0, at) + 1
        newline = index(b"\n", at)
        skip = newline + 1
        # newline > at >= start: the byte before it is on this line
        yield start, at, newline - 1 if block[newline - 1] == 13 else newline


def _careful_line(
    block: bytes,
    pieces: list[bytes],
    copied: int,
    start: int,
    end: int,
    number: int,
    migrator: "_Migrator",
    doc: Any,
    detail: bool,
    stats: StreamStats,
    on_edit: Any,
    on_patch: Any,
) -> int:
    """Migrate line ``number`` (``block[start:end]``) on the careful path and
    splice it into ``pieces``; return how far ``block`` is now copied."""
    body = block[start:end]
    try:
        new, ops, edits = migrator.migrate(body, detail, doc)
    except JsonSyntaxError as exc:
        stats.bad_lines.append((number + 1, str(exc)))
        return copied
    if not edits:
        return copied
    pieces.append(block[copied:start])
    pieces.append(new)
    _record(number + 1, body, new, ops, edits, stats, on_edit, on_patch)
    return end


def _joined(block: bytes, pieces: list[bytes], copied: int) -> bytes:
    if not pieces:
        return block
    pieces.append(block[copied:])
    return b"".join(pieces)


def _block_one_key(block: bytes, before: int, candidate: re.Pattern[bytes], run: "_Pass") -> bytes:
    """:func:`_block` for the commonest rule, one top-level key (``/status``),
    written out: the per-line work is one parse, the duplicate-key proof and
    a few byte counts. A line it is not sure of goes to ``migrator.migrate``."""
    migrator, detail, stats, on_edit, on_patch = run
    assert migrator.keys is not None and len(migrator.keys) == 1
    key, pointer, _ = migrator.keys[0]
    mapping = migrator.mapping
    tokens, new_tokens = migrator.tokens, migrator.new_tokens
    # `"key":` or `"key": ` just before the value: the usual spellings.
    lead = _plain(key) + b":"  # type: ignore[operator]
    spaced = lead + b" "
    loads, dumps, decode_error = orjson.loads, orjson.dumps, orjson.JSONDecodeError
    count = block.count
    pieces: list[bytes] = []
    copied = 0  # block[:copied] is in pieces
    counted, number = 0, before  # lines before offset `counted`
    for start, at, end in _candidate_lines(block, candidate):
        body = block[start:end]
        try:
            doc = loads(body)
        except decode_error:
            doc = None
        if doc.__class__ is dict:
            old = doc.get(key)
            if old.__class__ is not str or old not in mapping:
                continue  # a whole record with nothing to rename
            at -= start
            token = tokens[old]
            if body.endswith(lead, 0, at):
                key_at = at - len(lead)
            elif body.endswith(spaced, 0, at):
                key_at = at - len(spaced)
            else:
                key_at = -1
            if (
                key_at >= 0
                and body.startswith(token, at)
                and b"\\u" not in body
                and _at_top(body, key_at)
                and _unique_keys(body, doc, dumps)
            ):
                # The value of the one top-level `key` (no duplicate key, no
                # \u escape, so it has no other spelling), spliced exactly.
                pieces.append(block[copied:start + at])
                pieces.append(new_tokens[old])
                copied = start + at + len(token)
                number += count(b"\n", counted, start)
                counted = start
                stats.changed_lines += 1
                stats.edits += 1
                if detail or len(stats.sample) < SAMPLE_LINES:
                    new = body[:at] + new_tokens[old] + body[at + len(token):]
                    if len(stats.sample) < SAMPLE_LINES:
                        stats.sample.append((number + 1, body, new))
                    if on_edit is not None:
                        on_edit(LineEdit(number + 1, Edit(pointer, 1, _column(body, at), old, mapping[old])))
                    if on_patch is not None:
                        on_patch(number + 1, [{"op": "test", "path": pointer, "value": old},
                                              {"op": "replace", "path": pointer, "value": mapping[old]}])
                continue
        number += count(b"\n", counted, start)
        counted = start
        copied = _careful_line(block, pieces, copied, start, end, number, migrator, doc, detail, stats, on_edit, on_patch)
    return _joined(block, pieces, copied)


def _unique_keys(body: bytes, doc: Any, dumps: Callable[[Any], bytes]) -> bool:
    """:func:`_no_duplicate_keys` for a line known to hold no ``\\u``."""
    again = dumps(doc)
    return again == body or body.count(b":") == again.count(b":")


def _record(number: int, body: bytes, new: bytes, ops: list[dict[str, Any]], edits: list[Any],
            stats: StreamStats, on_edit: Callable[[LineEdit], Any] | None,
            on_patch: Callable[[int, list[dict[str, Any]]], Any] | None) -> None:
    stats.changed_lines += 1
    stats.edits += len(edits)
    if len(stats.sample) < SAMPLE_LINES:
        stats.sample.append((number, body, new))
    if on_edit is not None:
        for edit in edits:
            on_edit(LineEdit(number, edit))
    if on_patch is not None:
        on_patch(number, ops)


def _tail(
    raw: bytes,
    number: int,
    migrator: _Migrator,
    candidate: re.Pattern[bytes],
    detail: bool,
    stats: StreamStats,
    sink: BinaryIO | None,
    on_edit: Any,
    on_patch: Any,
) -> None:
    """The last line, without a newline: migrated if it is a whole record,
    left alone (and noted) if it is a record still being appended."""
    body, ending = _split_ending(raw)
    out = raw
    if body.strip() and candidate.search(body):
        try:
            new, ops, edits = migrator.migrate(body, detail)
        except JsonSyntaxError:
            stats.truncated_tail = True
        else:
            if edits:
                out = new + ending
                _record(number, body, new, ops, edits, stats, on_edit, on_patch)
    elif body.strip():
        # A tail without a newline is only trusted if it is a whole record.
        try:
            parse(body.decode("utf-8", errors="strict"))
        except (JsonSyntaxError, UnicodeDecodeError):
            stats.truncated_tail = True
    if sink is not None:
        sink.write(out)
