"""JSONL streamed line by line in constant memory.

Each line is its own document. A line without an old value is copied as it
is; a changed line is edited by :func:`migrator.jsonedit.apply_patch_text`,
so only the renamed values' bytes change. A line that does not parse is kept
verbatim and reported; a last line without its newline that does not parse is
a record still being appended, and is left alone without complaint.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Mapping, Sequence

from migrator.jsonedit import Edit, JsonSyntaxError, apply_patch_text, parse
from migrator.pointers import PointerPattern, compile_patch, split

# How many changed lines a plan keeps to show in a dry run.
SAMPLE_LINES = 20


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
    """A byte pattern a line must match to possibly hold an old value."""
    words = sorted(mapping, key=len, reverse=True)
    return re.compile(b"|".join(re.escape(json.dumps(w).encode()) for w in words) or b"(?!)")


def migrate_line(
    line: bytes,
    patterns: Sequence[PointerPattern],
    mapping: Mapping[str, str],
) -> tuple[bytes, list[dict[str, Any]], list[Edit]]:
    """Migrate one JSONL record (without its line ending). Returns the new
    bytes, the RFC 6902 patch and the edits; raises :class:`JsonSyntaxError`."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonSyntaxError(f"not valid UTF-8 (byte {exc.start})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    ops = compile_patch(doc, patterns, mapping)
    if not ops:
        return line, ops, []
    fast = _fast_line(text, doc, ops)
    if fast is not None:
        return fast[0].encode("utf-8"), ops, fast[1]
    # The careful path: duplicate keys refused, spans found by a full scan,
    # the result checked against jsonpatch's application of the patch.
    new_text, edits = apply_patch_text(text, parse(text), ops)
    return new_text.encode("utf-8"), ops, edits


def _fast_line(text: str, doc: Any, ops: list[dict[str, Any]]) -> tuple[str, list[Edit]] | None:
    """The common record: every old value written plainly, once. The splice
    is proven by re-parsing against the document with each ``replace``
    applied after its ``test`` (RFC 6902); any doubt takes the careful path."""
    pieces: list[tuple[int, int, dict[str, Any], str]] = []
    for i in range(0, len(ops), 2):
        test, replace = ops[i], ops[i + 1]
        token = '"' + test["value"] + '"'
        start = text.find(token)
        if start < 0 or text.find(token, start + 1) >= 0 or any(p[3] == token for p in pieces):
            return None
        pieces.append((start, start + len(token), replace, token))
    pieces.sort(key=lambda p: p[0])
    out, last, edits = [], 0, []
    for start, end, replace, token in pieces:
        out += [text[last:start], '"', replace["value"], '"']
        last = end
        edits.append(Edit(replace["path"], 1, start + 1, token[1:-1], replace["value"]))
    out.append(text[last:])
    new_text = "".join(out)
    for i in range(0, len(ops), 2):
        parent, key = _locate(doc, ops[i]["path"])
        if parent is None or parent[key] != ops[i]["value"]:
            return None
        parent[key] = ops[i + 1]["value"]
    try:
        same = json.loads(new_text) == doc
    except json.JSONDecodeError:
        return None
    return (new_text, edits) if same else None


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


def stream(
    source: BinaryIO,
    patterns: Sequence[PointerPattern],
    mapping: Mapping[str, str],
    sink: BinaryIO | None = None,
    *,
    copy: BinaryIO | None = None,
    on_edit: Any = None,
    on_patch: Any = None,
) -> StreamStats:
    """Read ``source`` line by line; write the migrated stream to ``sink``
    (and the original bytes to ``copy``) if given. ``on_edit(LineEdit)`` and
    ``on_patch(number, ops)`` are called per change. Memory stays bounded by
    the longest line."""
    stats = StreamStats()
    hasher = hashlib.sha256()
    candidate = old_value_filter(mapping)
    number = 0
    pending: bytes | None = None
    for raw in source:
        if pending is not None:
            _one(pending, number, False, patterns, mapping, candidate, stats, sink, on_edit, on_patch)
        number += 1
        hasher.update(raw)
        if copy is not None:
            copy.write(raw)
        pending = raw
    if pending is not None:
        _one(pending, number, True, patterns, mapping, candidate, stats, sink, on_edit, on_patch)
    stats.lines = number
    stats.sha256 = hasher.hexdigest()
    return stats


def _one(
    raw: bytes,
    number: int,
    last: bool,
    patterns: Sequence[PointerPattern],
    mapping: Mapping[str, str],
    candidate: re.Pattern[bytes],
    stats: StreamStats,
    sink: BinaryIO | None,
    on_edit: Any,
    on_patch: Any,
) -> None:
    body, ending = _split_ending(raw)
    out = raw
    if body.strip() and candidate.search(body):
        try:
            new, ops, edits = migrate_line(body, patterns, mapping)
        except JsonSyntaxError as exc:
            if last and not ending:
                stats.truncated_tail = True
            else:
                stats.bad_lines.append((number, str(exc)))
        else:
            if edits:
                out = new + ending
                stats.changed_lines += 1
                stats.edits += len(edits)
                if len(stats.sample) < SAMPLE_LINES:
                    stats.sample.append((number, body, new))
                if on_edit is not None:
                    for edit in edits:
                        on_edit(LineEdit(number, edit))
                if on_patch is not None:
                    on_patch(number, ops)
    elif body.strip() and last and not ending:
        # A tail without a newline is only trusted if it is a whole record.
        try:
            parse(body.decode("utf-8", errors="strict"))
        except (JsonSyntaxError, UnicodeDecodeError):
            stats.truncated_tail = True
    if sink is not None:
        sink.write(out)
