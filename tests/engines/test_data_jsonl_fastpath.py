"""The JSONL stream's fast paths give exactly what the careful path gives.

The reference below migrates each line the slow, obvious way: parse with the
standard library, compile the patch, splice with
:func:`migrator.jsonedit.apply_patch_text` (duplicate keys refused, result
re-parsed). Under top-level key pointers (``/status``) only a duplicate of
the pointer's own key in the top-level object refuses a line whose value
changes; the reference then reads the top-level pairs with the standard
library and splices at the span :func:`migrator.jsonedit.string_spans`
finds. The stream must agree with it byte for byte, edit for edit, in
both of its modes (whole blocks when most lines change, reporting their
edits or not, and line by line when a patch is written or few lines
change), whatever the block size.
"""

from __future__ import annotations

import io
import json
import random
import tracemalloc
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator import hashing, jsonlines
from migrator.jsonedit import Edit, JsonSyntaxError, apply_patch_text, parse, string_spans
from migrator.manifest import load_manifest
from migrator.pointers import PointerPattern, compile_patch

MAPPING = load_manifest().vocabulary.old_to_new
OLD = sorted(MAPPING)
NEW = sorted(MAPPING.values())
P = PointerPattern.parse

RULES = [
    ["/status"],
    ["/status", "/state"],
    ["/sessions/*/status"],
    ["/status", "/sessions/*/status"],
    ["/0"],
]


# --- the reference ---------------------------------------------------------


def _raw_lines(data: bytes) -> list[bytes]:
    out, start = [], 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end + 1
        out.append(data[start:end])
        start = end
    return out


def _top_level_keys(patterns: list[PointerPattern]) -> list[str] | None:
    if all(len(p.segments) == 1 and p.segments[0] is not None for p in patterns):
        return [p.segments[0] for p in patterns]  # type: ignore[misc]
    return None


def _careful_top_level(text: str, keys: list[str]) -> tuple[str, list[Any], list[dict[str, Any]]] | None:
    """One line under top-level key pointers: the last value of each key is
    the one meant; a key whose value changes must be there once. None for a
    line that is not an object (``/0`` is then an index)."""
    pairs: list[list[tuple[str, Any]]] = []

    def hook(items: list[tuple[str, Any]]) -> dict[str, Any]:
        pairs.append(items)
        return dict(items)

    doc = json.loads(text, object_pairs_hook=hook)
    if not isinstance(doc, dict):
        return None
    top = pairs[-1]  # the hook sees the innermost objects first
    ops: list[dict[str, Any]] = []
    for key in dict.fromkeys(keys):
        values = [v for k, v in top if k == key]
        if values and isinstance(values[-1], str) and values[-1] in MAPPING:
            if len(values) > 1:
                raise JsonSyntaxError(f"duplicate key {key!r}")
            ops += [{"op": "test", "path": "/" + key.replace("~", "~0").replace("/", "~1"), "value": values[-1]},
                    {"op": "replace", "path": "/" + key.replace("~", "~0").replace("/", "~1"),
                     "value": MAPPING[values[-1]]}]
    if not ops:
        return text, [], []
    spans = string_spans(text, MAPPING.__contains__)
    found = sorted((spans[op["path"]], op) for op in ops[1::2])
    out, last, edits = [], 0, []
    for (start, end), op in found:
        out += [text[last:start], json.dumps(op["value"], ensure_ascii=False)]
        last = end
        edits.append(Edit(op["path"], 1, start + 1, MAPPING_BACK[op["value"]], op["value"]))
    out.append(text[last:])
    return "".join(out), edits, ops


MAPPING_BACK = {new: old for old, new in MAPPING.items()}


def careful(data: bytes, patterns: list[PointerPattern]) -> dict[str, Any]:
    """What the stream must produce, one line at a time by the careful path."""
    candidate = jsonlines.old_value_filter(MAPPING)
    keys = _top_level_keys(patterns)
    raws = _raw_lines(data)
    out, edits, patches, bad, sample = [], [], [], [], []
    truncated = False
    changed = 0
    for number, raw in enumerate(raws, 1):
        last = number == len(raws)
        body, ending = (raw[:-2], raw[-2:]) if raw.endswith(b"\r\n") else (
            (raw[:-1], raw[-1:]) if raw.endswith(b"\n") else (raw, b""))
        if body.strip() and candidate.search(body):
            try:
                text = body.decode("utf-8")
                top = _careful_top_level(text, keys) if keys is not None else None
                if top is not None:
                    new_text, found, ops = top
                else:
                    doc = json.loads(text)
                    ops = compile_patch(doc, patterns, MAPPING)
                    new_text, found = apply_patch_text(text, parse(text), ops) if ops else (text, [])
            except (JsonSyntaxError, ValueError, RecursionError) as exc:
                if last and not ending:
                    truncated = True
                else:
                    bad.append(number)
                    del exc
                out.append(raw)
                continue
            if found:
                changed += 1
                new = new_text.encode("utf-8")
                out.append(new + ending)
                edits += [(number, e.pointer, e.line, e.column, e.old, e.new) for e in found]
                patches.append((number, ops))
                if len(sample) < jsonlines.SAMPLE_LINES:
                    sample.append((number, body, new))
                continue
        elif body.strip() and last and not ending:
            try:
                parse(body.decode("utf-8"))
            except (JsonSyntaxError, UnicodeDecodeError):
                truncated = True
        out.append(raw)
    return {"out": b"".join(out), "edits": edits, "patches": patches, "bad": bad, "changed": changed,
            "truncated": truncated, "sample": sample, "lines": len(raws)}


def streamed(data: bytes, patterns: list[PointerPattern], block: int, detail: bool,
             limit: int | None = None) -> dict[str, Any]:
    edits: list[Any] = []
    patches: list[Any] = []
    sink = io.BytesIO()
    saved = jsonlines.BLOCK
    jsonlines.BLOCK = block
    try:
        if detail:
            stats = jsonlines.stream(io.BytesIO(data), patterns, MAPPING, sink,
                                     on_edit=lambda le: edits.append(
                                         (le.number, le.edit.pointer, le.edit.line, le.edit.column, le.edit.old,
                                          le.edit.new)),
                                     on_patch=None if limit is not None else lambda n, ops: patches.append((n, ops)),
                                     edit_limit=limit)
        else:
            stats = jsonlines.stream(io.BytesIO(data), patterns, MAPPING, sink)
    finally:
        jsonlines.BLOCK = saved
    return {"out": sink.getvalue(), "edits": edits, "patches": patches, "bad": [n for n, _ in stats.bad_lines],
            "changed": stats.changed_lines, "edit_count": stats.edits, "truncated": stats.truncated_tail,
            "sample": stats.sample, "lines": stats.lines}


def check(data: bytes, rules: list[str], block: int = 1 << 16) -> dict[str, Any]:
    patterns = [P(r) for r in rules]
    want = careful(data, patterns)
    for detail in (False, True):
        got = streamed(data, patterns, block, detail)
        assert got["out"] == want["out"], (detail, data)
        assert got["bad"] == want["bad"], (detail, data)
        assert got["changed"] == want["changed"]
        assert got["edit_count"] == len(want["edits"])
        assert got["truncated"] == want["truncated"]
        assert got["sample"] == want["sample"]
        assert got["lines"] == want["lines"]
        if detail:
            assert got["edits"] == want["edits"]
            assert got["patches"] == want["patches"]
    # As the engine asks: the first few edits reported, then counting only.
    for limit in (0, 3):
        got = streamed(data, patterns, min(block, 256), True, limit)
        assert got["out"] == want["out"] and got["bad"] == want["bad"] and got["sample"] == want["sample"]
        assert got["edit_count"] == len(want["edits"]) and got["edits"] == want["edits"][:limit]
    return want


# --- records, written in many ways ------------------------------------------

_words = st.sampled_from(OLD + NEW + ["running", "x", ""])
_status = st.one_of(st.sampled_from(OLD), _words)
_text = st.one_of(_words, st.text(alphabet='ab:"\\/é\u2028\U0001d11e{}[]\n\t', max_size=6))
_keys = st.one_of(st.sampled_from(["status", "state", "sessions", "meta", "0", "a:b", 'st"atus']), _text)
_leaf = st.one_of(_text, st.integers(-10**20, 10**20), st.floats(allow_nan=False, allow_infinity=False),
                  st.booleans(), st.none())


def _record_of(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(_keys, children, max_size=4),
        st.fixed_dictionaries({"status": _status}, optional={"meta": st.dictionaries(_keys, children, max_size=2)}),
    )


_values = st.recursive(_leaf, _record_of, max_leaves=12)
_records = st.one_of(
    st.fixed_dictionaries({"status": _status}, optional={
        "key": _text, "state": _status, "n": st.integers(), "meta": _values,
        "sessions": st.lists(st.fixed_dictionaries({"status": _status}, optional={"x": _values}), max_size=3)}),
    _values,
)


@st.composite
def _lines(draw: st.DrawFn) -> bytes:
    """One line, without its ending."""
    record = draw(_records)
    if isinstance(record, dict):  # nested values before the top-level key too
        record = dict(draw(st.permutations(list(record.items()))))
    way = draw(st.sampled_from(["orjson", "compact", "ascii", "spaced", "indent-ws"]))
    try:
        if way == "orjson":
            text = orjson.dumps(record).decode("utf-8")
        elif way == "compact":
            text = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
        elif way == "ascii":
            text = json.dumps(record, separators=(",", ":"))
        elif way == "spaced":
            text = json.dumps(record, ensure_ascii=False)
        else:
            text = " " + json.dumps(record, separators=(" , ", " : "), ensure_ascii=False) + "\t"
    except (TypeError, orjson.JSONEncodeError):  # integers beyond 64 bits for orjson
        text = json.dumps(record)
    text = text.replace("\n", "\\n").replace("\u2028", "\\u2028")  # (json.dumps keeps none raw; belt)
    twist = draw(st.sampled_from(["none"] * 6 + ["escape", "dup-status", "dup-other", "slash", "cut", "junk"]))
    if twist == "escape":  # an old value spelled with an escape
        for old in OLD:
            token = json.dumps(old)
            if token in text:
                text = text.replace(token, '"\\u%04x%s"' % (ord(old[0]), old[1:]), 1)
                break
    elif twist == "dup-status" and text.lstrip().startswith("{"):
        at = text.index("{") + 1
        text = text[:at] + '"status":%s,' % json.dumps(draw(_words)) + text[at:]
    elif twist == "dup-other" and text.lstrip().startswith("{"):
        at = text.index("{") + 1
        text = text[:at] + '"k":1,"k":2,' + text[at:]
    elif twist == "slash":
        text = text.replace("/", "\\/")
    elif twist == "cut" and len(text) > 2:
        text = text[: draw(st.integers(1, len(text) - 1))]
    elif twist == "junk":
        text = text + draw(st.sampled_from([",", "}", " x", '"done"']))
    return text.encode("utf-8")


@st.composite
def _files(draw: st.DrawFn) -> bytes:
    out = []
    for body in draw(st.lists(st.one_of(_lines(), st.sampled_from([b"", b"  ", b"\xff\"done\""])), max_size=14)):
        out.append(body + draw(st.sampled_from([b"\n", b"\n", b"\n", b"\r\n"])))
    data = b"".join(out)
    if draw(st.booleans()) and data:
        data = data[: draw(st.integers(0, len(data)))]  # a tail still being appended
    return data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_files(), rules=st.sampled_from(RULES), block=st.sampled_from([1, 7, 64, 1 << 16]))
def test_property_stream_agrees_with_the_careful_path(data: bytes, rules: list[str], block: int) -> None:
    check(data, rules, block)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(_lines(), min_size=1, max_size=30), rules=st.sampled_from(RULES))
def test_property_mostly_changed_blocks_agree(lines: list[bytes], rules: list[str]) -> None:
    # Many changing, orjson-written lines: the whole-block path is taken.
    base = [orjson.dumps({"key": f"k{i}", "status": OLD[i % len(OLD)], "state": "done"}) for i in range(40)]
    data = b"\n".join(base[:20] + lines + base[20:]) + b"\n"
    check(data, rules)


@settings(max_examples=300, deadline=None)
@given(word=st.sampled_from(OLD), how=st.lists(st.sampled_from(["raw", "lower", "upper"]), min_size=20, max_size=20))
def test_property_the_filter_sees_every_spelling(word: str, how: list[str]) -> None:
    spelled = "".join(ch if h == "raw" else ("\\u%04x" % ord(ch) if h == "lower" else "\\u%04X" % ord(ch))
                      for ch, h in zip(word, how))
    assert jsonlines.old_value_filter(MAPPING).search(b'{"status":"%s"}' % spelled.encode())


# --- the cases by name --------------------------------------------------------


def test_a_duplicate_of_the_pointer_key_at_the_top_level_is_refused() -> None:
    lines = [b'{"status":"done","status":"done"}', b'{"status":"running","status":"done"}',
             b'{"status":"done","last":{"status":"x"},"status":"killed"}', b'{"status":"done","st\\u0061tus":"done"}',
             b'{"st\\u0061tus":"x", "status": "done"}']
    for line in lines:
        for data in (line + b"\n", b"\n".join([orjson.dumps({"status": "done", "i": i}) for i in range(30)]
                                               + [line]) + b"\n"):
            want = check(data, ["/status"])
            assert want["bad"] == [data.count(b"\n")], line
            assert want["out"].endswith(line + b"\n")
    # Under another pointer, any duplicate in a changed line still refuses it.
    want = check(b'{"sessions":[{"status":"done"}],"n":1,"n":2}\n', ["/sessions/*/status"])
    assert want["bad"] == [1]
    # Nothing to rename: the line is copied, as before, duplicates or not.
    check(b'{"status":"running","n":1,"n":2,"note":"done"}\n', ["/status"])
    check(b'{"status":"done","status":"running"}\n', ["/status"])


def test_a_duplicate_elsewhere_does_not_stop_the_rename() -> None:
    # A duplicate in a nested decoy, or of another top-level key, makes the
    # top-level value no less certain: it is renamed, those bytes untouched.
    lines = [b'{"status":"done","last":{"status":"failed","status":"killed"}}',
             b'{"status": "failed", "n": 1, "n": 2, "acp": {"status": "done", "a": 1, "a": 1}}',
             b'{"last":{"kind":"tool","status":"done","status":"done"},"status":"timeout"}']
    renamed = [b'{"status":"agent_responded","last":{"status":"failed","status":"killed"}}',
               b'{"status": "interrupted", "n": 1, "n": 2, "acp": {"status": "done", "a": 1, "a": 1}}',
               b'{"last":{"kind":"tool","status":"done","status":"done"},"status":"waiting_for_response"}']
    base = [orjson.dumps({"status": OLD[i % len(OLD)], "i": i}) for i in range(30)]
    for data, expected in ((b"\n".join(lines) + b"\n", b"\n".join(renamed) + b"\n"),
                           (b"\n".join(base + lines) + b"\n", None)):
        want = check(data, ["/status"])
        assert want["bad"] == []
        if expected is not None:
            assert want["out"] == expected
        else:
            assert want["out"].endswith(b"\n".join(renamed) + b"\n")


def test_only_the_top_level_key_and_every_spelling_of_the_value() -> None:
    data = (b'{"meta":{"status":"done"},"status":"failed"}\n'
            b'{"meta":{"status":"done"},"status":"done"}\n'
            b'{"meta":[{"status":"done"}], "status":"done"}\n'
            b'{"status":"\\u0064one","note":"done"}\r\n'
            b'{"note":"killed","status" : "killed"}\n'
            b'{"x":"\\"status\\":\\"done\\"","status":"timeout"}\n')
    want = check(data, ["/status"])
    assert want["out"] == (b'{"meta":{"status":"done"},"status":"interrupted"}\n'
                           b'{"meta":{"status":"done"},"status":"agent_responded"}\n'
                           b'{"meta":[{"status":"done"}], "status":"agent_responded"}\n'
                           b'{"status":"agent_responded","note":"done"}\r\n'
                           b'{"note":"killed","status" : "halted"}\n'
                           b'{"x":"\\"status\\":\\"done\\"","status":"waiting_for_response"}\n')


def test_lines_longer_than_a_block_and_a_truncated_tail() -> None:
    long = orjson.dumps({"status": "done", "label": "x" * 5000})
    data = long + b"\n" + long + b"\r\n" + b'{"status":"do'
    for block in (1, 100, 4096, 1 << 16):
        want = check(data, ["/status"], block)
        assert want["truncated"] and want["changed"] == 2


def test_the_stream_holds_constant_memory() -> None:
    rng = random.Random(3)

    class Lines(io.RawIOBase):
        """About 24 MB of records, made as they are read."""

        def __init__(self) -> None:
            self.left = 120_000
            self.buffer = b""

        def readable(self) -> bool:
            return True

        def readinto(self, target: Any) -> int:
            while len(self.buffer) < len(target) and self.left:
                self.left -= 1
                self.buffer += orjson.dumps({"key": "k" * rng.randint(0, 200), "status": rng.choice(OLD)}) + b"\n"
            n = min(len(target), len(self.buffer))
            target[:n] = self.buffer[:n]
            self.buffer = self.buffer[n:]
            return n

    class Discard(io.RawIOBase):
        written = 0

        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            Discard.written += len(data)
            return len(data)

    tracemalloc.start()
    try:
        stats = jsonlines.stream(io.BufferedReader(Lines()), [P("/status")], MAPPING, Discard())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stats.changed_lines == 120_000 and Discard.written > 12_000_000
    # A few blocks (the one read, the one cut at a line's end, the one
    # written) and the digest's batches in flight (gathered, handed over,
    # waiting, being hashed): not the 24 MB streamed.
    assert peak < 8 * jsonlines.BLOCK + 4 * hashing.BATCH, peak


@pytest.mark.parametrize("rules", RULES)
def test_the_engine_mix_of_lines(rules: list[str]) -> None:
    rng = random.Random(5)
    lines = []
    for i in range(3000):
        record = {"key": f"agent:main:{i}", "status": rng.choice(OLD + ["running"]), "n": rng.random(),
                  "sessions": [{"status": rng.choice(OLD)}], "state": rng.choice(OLD)}
        line = orjson.dumps(record) if rng.random() < 0.9 else json.dumps(record).encode()
        lines.append(line + (b"\r\n" if rng.random() < 0.01 else b"\n"))
        if rng.random() < 0.01:
            lines.append(b"\n")
    check(b"".join(lines), rules)


# --- a realistic export -------------------------------------------------------


def _export(records: int) -> tuple[bytes, bytes, int]:
    """Session records as users' tools write them: nested decoy statuses in
    every record, floats like 1.0, non-ASCII text, 10% in json.dumps' default
    form (spaced, non-ASCII escaped), and a truncated last line. Returns the
    bytes, the bytes expected (from the same pieces, new names in), and how
    many top-level values change."""
    rng = random.Random(21)
    words = [*OLD, "running", "queued"]
    before, after, changed = [], [], 0
    for n in range(records):
        status = rng.choice(words)
        row = {"key": f"agent:main:{n:06d}", "status": status, "cost": 1.0, "label": "résumé — 要約",
               "last": {"kind": "tool", "status": rng.choice(OLD)}}
        row["acp" if n % 2 else "outcome"] = {"status": rng.choice(OLD), "attempt": 1.0}
        new = dict(row, status=MAPPING.get(status, status))
        dumps = json.dumps if n % 10 == 9 else (
            lambda d: json.dumps(d, separators=(",", ":"), ensure_ascii=False))
        before.append(dumps(row).encode() + b"\n")
        after.append(dumps(new).encode() + b"\n")
        changed += status in MAPPING
    tail = b'{"key": "agent:main:tail", "status": "done", "last": {"kind": "tool", "st'
    return b"".join(before) + tail, b"".join(after) + tail, changed


@pytest.mark.parametrize("report", [False, True])
def test_an_export_with_nested_decoys_changes_only_the_top_level_values(report: bool) -> None:
    data, expected, changed = _export(3000)
    sink = io.BytesIO()
    found: list[jsonlines.LineEdit] = []
    stats = jsonlines.stream(io.BytesIO(data), [P("/status")], MAPPING, sink,
                             on_edit=found.append if report else None)
    assert sink.getvalue() == expected
    assert (stats.changed_lines, stats.edits, stats.truncated_tail, stats.bad_lines) == (changed, changed, True, [])
    want = careful(data, [P("/status")])
    if report:
        # Reported from whole blocks: every edit, in order, where the careful path puts it.
        assert [(e.number, e.edit.pointer, e.edit.line, e.edit.column, e.edit.old, e.edit.new)
                for e in found] == want["edits"]
        assert len(found) == changed
    # The reference agrees line by line (the decoys stay, the tail is left).
    assert want["out"] == expected


def test_the_first_findings_of_an_export_come_from_whole_blocks() -> None:
    # As the engine asks (the first findings, then counting only): the blocks
    # are taken whole from the first one on, and the findings are the careful
    # path's first ones, in order.
    data, expected, changed = _export(3000)
    want = careful(data, [P("/status")])["edits"]
    calls: list[int] = []
    original = jsonlines._bulk_one_key

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[1])
        return original(*args, **kwargs)

    found: list[jsonlines.LineEdit] = []
    jsonlines._bulk_one_key = counted  # type: ignore[assignment]
    try:
        sink = io.BytesIO()
        stats = jsonlines.stream(io.BytesIO(data), [P("/status")], MAPPING, sink, on_edit=found.append,
                                 edit_limit=700)
    finally:
        jsonlines._bulk_one_key = original  # type: ignore[assignment]
    assert sink.getvalue() == expected and stats.edits == changed
    assert calls[0] == 0  # the first block, lines before it: none
    assert [(e.number, e.edit.column, e.edit.old) for e in found] == [(n, c, o) for n, _, _, c, o, _ in want[:700]]


@pytest.mark.parametrize("rules", RULES[:2])
@pytest.mark.parametrize("odd", [
    b'{"status":"done","status":"running"}',  # the last duplicate stays: copied as the careful path reads it
    b'{"status":"running","status":"done"}',  # the last duplicate is old: refused as the careful path does
    b'{"status": "done", "last": {"status": "failed"}}',  # spaced, with a nested decoy
    b'{"status":"done","last":{"status":"failed"},"n":1.0,"t":"r\\u00e9sum\\u00e9"}',  # escapes, 1.0
    b'{"status":"running","acp":{"status":"killed"}}',  # only a decoy is old
    b'{"status":"done","state":"killed"}',
    b'{"status":"done","n":1E2}',
    # written otherwise and changed: spliced in the whole block only where proven
    b'{"kind": "status", "status": "done"}',  # the first "status" is a value
    b'{"a": {"status": "done"}, "status": "failed"}',  # the first "status" is nested
    b'{"status": "done", "n": 1, "n": 2}',  # a duplicate of another key: renamed all the same
    b'{"status": "done", "last": {"status": "x", "status": "y"}, "status": "done"}',  # twice at the top: refused
    b'{"status" : "killed", "t": "\\u003a"}',  # an escaped colon, a space before the colon
    b'{"status": "d\\u006fne", "x": 1}',  # the value escaped
    b'{"t": "caf\\u00e9 \\"status\\": 1", "status": "timeout"}',  # "status" inside a string
])
def test_whole_blocks_with_export_lines_agree(odd: bytes, rules: list[str]) -> None:
    # Mostly changing compact lines, so blocks take the whole-block path,
    # with a line of the export's kinds every few lines.
    base = [orjson.dumps({"key": f"k{i}", "status": OLD[i % len(OLD)], "last": {"status": OLD[(i + 1) % len(OLD)]}})
            for i in range(60)]
    data = b"".join(line + b"\n" + (odd + b"\n" if i % 7 == 3 else b"") for i, line in enumerate(base))
    got = check(data, rules)
    assert got["changed"] >= 60
