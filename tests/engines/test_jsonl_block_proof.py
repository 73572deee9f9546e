"""The one-key whole-block path (``/status``, no edits reported) on the lines
that test its proof: the new token written elsewhere in the line, a nested
status before the top-level one, a second top-level status (plain or
escaped), json.dumps' default spacing. Each block is checked byte for byte
against the line-by-line careful path, and its counts against the lines
written. Also: the handle that starts a file's writeback as it is written
passes every byte through, in order."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from migrator import jsonlines
from migrator.journal import WRITEBACK, WriteBehind
from migrator.manifest import load_manifest
from migrator.pointers import PointerPattern

MAPPING = load_manifest().vocabulary.old_to_new
STATUS = [PointerPattern.parse("/status")]

# (line as written, line expected after the rename; None: refused as ambiguous)
LINES: list[tuple[bytes, bytes | None]] = [
    # The new token is already written in a nested decoy and in a label.
    (b'{"key":"a","status":"done","last":{"kind":"tool","status":"agent_responded"}}',
     b'{"key":"a","status":"agent_responded","last":{"kind":"tool","status":"agent_responded"}}'),
    (b'{"status":"timeout","label":"waiting_for_response","n":1.0}',
     b'{"status":"waiting_for_response","label":"waiting_for_response","n":1.0}'),
    # A nested status comes first: the top-level one is renamed, the decoy kept.
    (b'{"last":{"status":"done"},"status":"failed"}',
     b'{"last":{"status":"done"},"status":"interrupted"}'),
    # The old word nested with the top-level value already new: nothing to do.
    (b'{"last":{"status":"done"},"status":"agent_responded"}',
     b'{"last":{"status":"done"},"status":"agent_responded"}'),
    # Default spacing and escaped non-ASCII text after the value.
    (b'{"key": "b", "status": "killed", "label": "r\\u00e9sum\\u00e9"}',
     b'{"key": "b", "status": "halted", "label": "r\\u00e9sum\\u00e9"}'),
    # Two top-level status keys, plainly and with an escape: ambiguous, refused.
    (b'{"status":"done","x":1,"status":"done"}', None),
    (b'{"st\\u0061tus":"done","status":"done"}', None),
    (b'{"status":"done","acp":{"status":"done"},"st\\u0061tus":"done"}', None),
]


def _stream(data: bytes) -> tuple[bytes, jsonlines.StreamStats]:
    out = io.BytesIO()
    stats = jsonlines.stream(io.BytesIO(data), STATUS, MAPPING, out)
    return out.getvalue(), stats


@pytest.mark.parametrize("index", range(len(LINES)))
def test_each_line_in_a_whole_block_as_the_careful_path_reads_it(index: int) -> None:
    line, want = LINES[index]
    # The careful path, line by line, is the reference.
    if want is None:
        with pytest.raises(jsonlines.JsonSyntaxError):
            jsonlines.migrate_line(line, STATUS, MAPPING)
    else:
        assert jsonlines.migrate_line(line, STATUS, MAPPING)[0] == want
    # In a block where most lines change, so the whole block is read at once.
    filler = b'{"key":"f","status":"done","acp":{"status":"killed"}}'
    lines = [filler] * 200
    lines[117] = line
    new, stats = _stream(b"\n".join(lines) + b"\n")
    expected = [b'{"key":"f","status":"agent_responded","acp":{"status":"killed"}}'] * 200
    expected[117] = line if want is None else want
    assert new == b"\n".join(expected) + b"\n"
    assert stats.lines == 200
    assert stats.changed_lines == 199 + (want is not None and want != line)
    assert [number for number, _ in stats.bad_lines] == ([] if want is not None else [118])


def test_all_the_lines_together_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonlines, "BLOCK", 1 << 16)  # many blocks, and lines cut at their ends
    lines = [LINES[i % len(LINES)][0] for i in range(20_000)]
    data = b"\n".join(lines) + b"\n"
    assert len(data) > 10 * jsonlines.BLOCK
    new, stats = _stream(data)
    expected = [LINES[i % len(LINES)][1] or LINES[i % len(LINES)][0] for i in range(20_000)]
    assert new == b"\n".join(expected) + b"\n"
    assert stats.lines == 20_000
    refused = [i + 1 for i in range(20_000) if LINES[i % len(LINES)][1] is None]
    assert [number for number, _ in stats.bad_lines] == refused
    assert stats.changed_lines == sum(1 for i in range(20_000)
                                      if LINES[i % len(LINES)][1] not in (None, LINES[i % len(LINES)][0]))


def test_write_behind_passes_every_byte_through_in_order(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    pieces = [bytes([n % 251]) * (n * 7919 % 100_003 + 1) for n in range(400)]
    with open(target, "wb") as handle:
        behind = WriteBehind(handle)
        assert sum(behind.write(piece) for piece in pieces) == sum(map(len, pieces))
    data = b"".join(pieces)
    assert len(data) > 2 * WRITEBACK  # the writeback was asked for on the way
    assert behind.started > 0
    assert target.read_bytes() == data
