"""The labelled corpus under bench/corpus: consistent, sourced, and never harmed where it must not be.

The scorer (bench/corpus/score.py) measures precision and recall; this test
checks that its yardstick is sound (every label points at a quoted old name,
every quoted old name has a label, every file says where it comes from) and
holds the one guarantee that must never break: code about another vocabulary
keeps every byte through `apply --write`, in both phases.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "bench" / "corpus"


def _load_score() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_score", CORPUS / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


score = _load_score()
LABELS = score.load_labels()
FILES = [p.relative_to(CORPUS).as_posix() for p in score.corpus_files()]


def _literals() -> set[object]:
    found: set[object] = set()
    for rel in FILES:
        found.update(score.old_literals((CORPUS / rel).read_text(encoding="utf-8"), rel))
    return found


def test_corpus_is_large_enough_to_mean_something() -> None:
    groups = {rel.split("/")[0] for rel in FILES}
    assert {"openclaw", "unrelated", "newuser"} <= groups
    unrelated = {rel.split("/")[1] for rel in FILES if rel.startswith("unrelated/")}
    assert len([r for r in FILES if r.startswith("unrelated/")]) >= 15 and len(unrelated) >= 6
    assert {lab.verdict for lab in LABELS.values()} == {"rewrite", "review", "leave"}


def test_every_label_points_at_a_quoted_old_name() -> None:
    stale = sorted(f"{lit.path}:{lit.line}:{lit.col} {lit.old}" for lit in set(LABELS) - _literals())
    assert stale == []


def test_every_quoted_old_name_has_a_label() -> None:
    missing = sorted(f"{lit.path}:{lit.line}:{lit.col} {lit.old}" for lit in _literals() - set(LABELS))
    assert missing == []


def test_every_label_gives_a_reason() -> None:
    assert [lab for lab in LABELS.values() if not lab.why.strip()] == []


def test_every_file_says_where_it_comes_from() -> None:
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([^`]+\.py)` \|", sources, flags=re.M))
    assert sorted(set(FILES) - listed) == []
    assert sorted(listed - set(FILES)) == []


def test_a_literal_is_found_by_its_own_position() -> None:
    src = 'x = {"done", "ok"}\nif s == \'killed\' or t == f"failed": pass\n'
    got = [(lit.line, lit.col, lit.old) for lit in score.old_literals(src, "m.py")]
    assert got == [(1, 6, "done"), (2, 9, "killed")]


def test_an_expanded_or_replaced_literal_counts_as_touched() -> None:
    before = 'if s == "failed" or j == "failed":\n    pass\nDONE = {"done", "x"}\n'
    expanded = 'if s in ("failed", "interrupted") or j == "failed":\n    pass\nDONE = {"done", "x"}\n'
    contracted = 'if s == "failed" or j == "failed":\n    pass\nDONE = {"agent_responded", "x"}\n'
    touched = score.touched_literals(before, expanded, "m.py")
    assert {(lit.line, lit.col) for lit in touched} == {(1, 9)}
    touched = score.touched_literals(before, contracted, "m.py")
    assert {(lit.line, lit.col) for lit in touched} == {(3, 9)}
    assert score.touched_literals(before, before + "# a note\n", "m.py") == set()


@pytest.mark.parametrize("phase", ["expand", "contract"])
def test_code_of_other_vocabularies_keeps_every_byte(phase: str, tmp_path: Path) -> None:
    outcome = score.apply_phase(phase, tmp_path / phase, CORPUS, REPO)
    assert outcome.returncode in (0, 1), outcome.stderr
    leave_only = score.all_leave_files(LABELS)
    assert any(p.startswith("unrelated/") for p in leave_only)
    assert sorted(leave_only & outcome.changed_files) == []
