"""Session rows kept in an object's field, given by position, then copied
onto another object: a dashboard reads ``openclaw sessions --json`` through
a helper that runs ``[CLI, *words]`` (its bytes never say "openclaw
sessions"), keeps the rows in a dataclass built positionally
(``Snapshot(rows, [])``), and its panel unpacks them onto itself
(``self.rows, self.jobs = snap.rows, snap.jobs``), finds its board through a
typed widget lookup (``self.query_one(Board)``) and hands the rows on.
The panel's constant and the board's colour table are tested with those
rows' statuses: both change. The same code over ``openclaw tasks``
(background task states, another vocabulary) stays as written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

FETCH = '''import json
import subprocess
from dataclasses import dataclass
from typing import Any

CLI = "openclaw"


@dataclass
class Snapshot:
    rows: list[dict[str, Any]]
    jobs: list[dict[str, Any]]
    note: str = ""


def _cli(*words: str) -> Any:
    out = subprocess.run([CLI, *words], capture_output=True, text=True, check=True).stdout
    return json.loads(out or "null")


def snapshot() -> Snapshot:
    listed = _cli("{command}", "--json")
    rows = listed.get("{container}", []) if isinstance(listed, dict) else []
    return Snapshot(rows, [])
'''

BOARD = '''COLOURS = {"done": "green", "timeout": "yellow", "running": "cyan"}


class Board:
    def __init__(self):
        self.lines = []

    def paint(self, rows):
        self.lines = []
        for r in rows:
            st = r.get("status") or ""
            self.lines.append(f"{r.get('key')}: {COLOURS.get(st, 'grey')}")
'''

PANEL = '''from . import fetch
from .board import Board

ATTENTION = ("failed", "killed")


class Panel:
    def __init__(self, widgets):
        self.widgets = widgets
        self.rows = []
        self.jobs = []

    def query_one(self, kind):
        return next(w for w in self.widgets if isinstance(w, kind))

    def take(self, snap: fetch.Snapshot) -> int:
        self.rows, self.jobs = snap.rows, snap.jobs
        board = self.query_one(Board)
        board.paint(self.rows)
        return sum(1 for r in self.rows if r.get("status") in ATTENTION)
'''

RUN = '''import json, sys
from dash.board import Board
from dash.fetch import Snapshot
from dash.panel import Panel

board = Board()
rows = [{"key": str(i), "status": s} for i, s in enumerate(json.loads(sys.argv[1]))]
print(Panel([board]).take(Snapshot(rows, [])), board.lines)
'''

SESSIONS = {"fetch.py": FETCH.format(command="sessions", container="sessions"), "board.py": BOARD, "panel.py": PANEL}
EXPANDED = {
    "board.py": BOARD.replace('{"done": "green", "timeout": "yellow",',
                              '{"done": "green", "agent_responded": "green", "timeout": "yellow", '
                              '"waiting_for_response": "yellow",'),
    "panel.py": PANEL.replace('("failed", "killed")', '("failed", "interrupted", "killed", "halted")'),
}
CONTRACTED = {
    "board.py": BOARD.replace('{"done": "green", "timeout": "yellow",',
                              '{"agent_responded": "green", "waiting_for_response": "yellow",'),
    "panel.py": PANEL.replace('("failed", "killed")', '("interrupted", "halted")'),
}
OLD = ["done", "failed", "timeout", "killed", "running"]
NEW = ["agent_responded", "interrupted", "waiting_for_response", "halted", "running"]


def _shown(root: Path, statuses: list[str]) -> str:
    done = subprocess.run([sys.executable, "-c", RUN, json.dumps(statuses)],
                          cwd=root, capture_output=True, text=True, check=True)
    return done.stdout.strip().replace("agent_responded", "done").replace("waiting_for_response", "timeout")


def test_rows_given_by_position_and_unpacked_onto_a_panel(tmp_path: Path) -> None:
    package = write_package(tmp_path, "dash", SESSIONS)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "dash/board.py:1:12: status-dispatch [certain, rewrite] 'done' -> 'agent_responded'",
        "dash/board.py:1:29: status-dispatch [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "dash/panel.py:4:14: status-constant [certain, rewrite] 'failed' -> 'interrupted'",
        "dash/panel.py:4:24: status-constant [certain, rewrite] 'killed' -> 'halted'",
        "4 files scanned, 4 findings: 4 to rewrite, 0 to review (expand phase)",
    ], scan.stdout
    why = run_cli("scan", ".", "--show-why", cwd=tmp_path).stdout
    assert "`r` iterates `Panel.rows`, given at line 17 `Snapshot.rows`, given at line 24 `rows`" in why, why
    assert "`rows` of `paint()` is passed, at dash/panel.py:19, `self.rows`" in why, why
    assert "the output of `openclaw sessions` (dash/fetch.py)" in why, why
    before = _shown(tmp_path, OLD)
    assert before == "2 ['0: green', '1: grey', '2: yellow', '3: grey', '4: cyan']"
    apply_phase(tmp_path, "expand", package, SESSIONS, EXPANDED)
    assert _shown(tmp_path, OLD) == before
    assert _shown(tmp_path, NEW) == before
    apply_phase(tmp_path, "contract", package, SESSIONS, CONTRACTED)
    assert _shown(tmp_path, NEW) == before


def test_contract_from_the_original_tree_gives_the_same_bytes(tmp_path: Path) -> None:
    package = write_package(tmp_path, "dash", SESSIONS)
    apply_phase(tmp_path, "contract", package, SESSIONS, CONTRACTED)


def test_the_same_panel_over_background_tasks_stays(tmp_path: Path) -> None:
    """`openclaw tasks list --json`: the task states failed/timeout/done of
    another vocabulary, kept and painted the same way."""
    files = {"fetch.py": FETCH.format(command="tasks", container="tasks"), "board.py": BOARD, "panel.py": PANEL}
    package = write_package(tmp_path, "dash", files)
    scan = run_cli("scan", ".", cwd=tmp_path)
    # Of unknown origin there: at most listed, never rewritten.
    assert scan.stdout.splitlines()[-1] == "4 files scanned, 4 findings: 0 to rewrite, 4 to review (expand phase)", \
        scan.stdout
    assert "[possible, review]" in scan.stdout and "certain" not in scan.stdout, scan.stdout
    for phase in ("expand", "contract"):
        apply_phase(tmp_path, phase, package, files, {})
