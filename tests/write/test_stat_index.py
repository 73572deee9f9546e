"""The stat index: a warm run over an unchanged tree opens no file it
answered before (opens counted by an audit hook, never timed); a file whose
stat data changed but whose bytes did not is answered from its digest; a
changed file is read and analysed again."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from migrator import load_options, run
from migrator.pipeline import Run
from migrator.report import render_json

# Opens of files under a watched root, counted while a run is watched.
_WATCHED: list[Path] = []
_OPENED: list[str] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _WATCHED and isinstance(args[0], (str, Path)):
        path = os.path.abspath(os.fsdecode(args[0]))
        if path.startswith(str(_WATCHED[0]) + os.sep) and os.sep + ".migrator" + os.sep not in path:
            _OPENED.append(path)


sys.addaudithook(_audit)  # cannot be removed: it only counts while a root is watched


def _scan(root: Path, paths: list[Path] | None = None) -> tuple[Run, set[str]]:
    """A run over ``root`` (or over ``paths`` in it) and the tree files it
    opened (not its cache)."""
    options = load_options([str(p) for p in paths or [root]], cwd=root, jobs=1)
    sources = {str(p) for p in root.rglob("*") if p.is_file() and ".migrator" not in p.parts}
    _OPENED.clear()
    _WATCHED[:] = [root]
    try:
        outcome = run(options)
    finally:
        _WATCHED.clear()
    return outcome, {p for p in _OPENED if p in sources}


@pytest.fixture
def project(demo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(demo)
    # Files written in the last moments are not trusted by their stat data
    # (they may change again within one mtime tick): age the copy.
    past = time.time() - 60
    for path in demo.rglob("*"):
        os.utime(path, (past, past), follow_symlinks=False)
    return demo


def test_an_unchanged_tree_is_answered_without_opening_its_files(project: Path) -> None:
    cold, opened_cold = _scan(project)
    assert cold.files_seen >= 4 and cold.findings
    assert len(opened_cold) >= cold.files_seen - sum(1 for r in cold.results if r.kind in ("sqlite", "jsonl"))
    warm, opened = _scan(project)
    # Only files with a pending change are read: the change needs its bytes.
    pending = {str(r.path) for r in warm.changed}
    assert opened == pending
    assert (warm.cache_hits, warm.files_analysed) == (cold.files_parsed - _uncacheable(cold), _uncacheable(cold))
    assert render_json(warm) == render_json(cold)
    assert [r.updated for r in warm.results] == [r.updated for r in cold.results]
    assert [r.original for r in warm.results if r.updated] == [r.original for r in cold.results if r.updated]


def _uncacheable(outcome: Run) -> int:
    """Files whose engine never lets the cache answer (stores, data files)."""
    return sum(1 for r in outcome.results if r.kind in ("sqlite", "jsonl", "data"))


def test_a_touched_file_with_the_same_bytes_is_answered_from_its_digest(project: Path) -> None:
    cold, _ = _scan(project)
    candidate = next(r.path for r in cold.results if r.kind == "python" and r.findings)
    quiet = next(p for p in project.rglob("*.py") if p not in {r.path for r in cold.results})
    for path in (candidate, quiet):
        os.utime(path, None)  # touched: new mtime, same bytes
    warm, opened = _scan(project)
    assert str(candidate) in opened and str(quiet) in opened  # read to learn their digest
    assert warm.files_analysed == _uncacheable(cold)  # and neither analysed again
    assert render_json(warm) == render_json(cold)


def test_a_changed_file_is_read_and_analysed_again(project: Path) -> None:
    cold, _ = _scan(project)
    candidate = next(r.path for r in cold.results if r.kind == "python" and r.findings)
    candidate.write_text(candidate.read_text() + "\n# changed\n")
    warm, opened = _scan(project)
    assert str(candidate) in opened
    assert warm.files_analysed == _uncacheable(cold) + 1


def test_a_run_on_one_file_answers_the_rest_of_its_project_without_opening_it(project: Path) -> None:
    """As the pre-commit hook runs, on a staged file: the facts of the
    project's other files come from the stat index once it knows them."""
    cold, _ = _scan(project)
    target = next(r.path for r in cold.results if r.kind == "python" and r.findings)
    first, _ = _scan(project, [target])
    again, opened = _scan(project, [target])
    assert opened <= {str(target)}  # the given file is read only for its pending change
    assert [f.to_json() for r in again.results for f in r.findings] == \
        [f.to_json() for r in cold.results if r.path == target for f in r.findings]
    assert render_json(again) == render_json(first)
