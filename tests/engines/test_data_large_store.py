"""A large sessions.json is migrated byte for byte: only the renamed values'
bytes change, whatever the spacing, nested decoys and non-ASCII text around
them (the one-pass span search and its re-parse proof)."""

from __future__ import annotations

import json
import random

from migrator.engines.data import migrate_document
from migrator.manifest import load_manifest
from migrator.pointers import PointerPattern

MAPPING = load_manifest().vocabulary.old_to_new
WORDS = [*MAPPING, "running", "queued"]


def _store(sessions: int) -> tuple[str, str, int]:
    """The text of a store, the text expected after migration (built from the
    same pieces with the new names), and how many values change."""
    rng = random.Random(3)
    before, after = ["{\n"], ["{\n"]
    renamed = 0
    for n in range(sessions):
        status = rng.choice(WORDS)
        decoy = rng.choice(list(MAPPING))
        colon = rng.choice([": ", ":", " : "])
        # A nested status and a label with an old word, before and after the
        # session's own status: neither is named by /*/status.
        head = (f'  "agent:main:{n:06d}":{rng.choice([" ", ""])}{{\n    "label": "{decoy} — résumé",\n'
                f'    "last": {{"kind": "tool", "status": "{decoy}"}},\n    "status"{colon}')
        tail = f',\n    "n": {n}.0,\n    "outcome": {{"status": "{decoy}"}}\n  }}{"," if n < sessions - 1 else ""}\n'
        before.append(head + json.dumps(status) + tail)
        after.append(head + json.dumps(MAPPING.get(status, status), ensure_ascii=False) + tail)
        renamed += status in MAPPING
    before.append("}\n")
    after.append("}\n")
    return "".join(before), "".join(after), renamed


def test_a_large_store_changes_only_the_named_values() -> None:
    text, expected, renamed = _store(6000)
    new, edits, ops = migrate_document(text, "json", [PointerPattern.parse("/*/status")], MAPPING)
    assert new == expected
    assert len(edits) == renamed and len(ops) == 2 * renamed
    # Positions come from one forward pass: spot-check the last edit.
    last = edits[-1]
    line_text = text.splitlines()[last.line - 1]
    assert line_text[last.column - 1:].startswith(json.dumps(last.old))


def test_values_found_out_of_document_order_still_land() -> None:
    # Two patterns: the second's values come before the first's in the text.
    text = '{"b": {"status": "done"}, "a": [{"state": "failed"}], "c": {"status": "killed"}}'
    patterns = [PointerPattern.parse("/*/status"), PointerPattern.parse("/a/*/state")]
    new, edits, _ = migrate_document(text, "json", patterns, MAPPING)
    assert new == ('{"b": {"status": "agent_responded"}, "a": [{"state": "interrupted"}], '
                   '"c": {"status": "halted"}}')
    assert sorted(e.column for e in edits) == [text.index(f'"{w}"') + 1 for w in ("done", "failed", "killed")]
