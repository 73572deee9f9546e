"""`match` with class patterns over rows (`case Row(status="failed"):`) and a
dataclass's `__post_init__` that tidies its status. A class pattern's status
field is a status pattern where the class is built from session rows (here,
`session_nodes` of the agent's SQLite store, in another module); an exec
process class with the same field and words stays. In `__post_init__`, a
local read from `self.status`, cleared to None and translated by a table of
the project's own spellings, then set to `"killed"`, is a write of the
session status: kept in expand, renamed in contract."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import imported, run_cli, write_package

ROWS = '''import sqlite3
from dataclasses import dataclass

ALIASES = {"timed_out": "timeout", "stopped": "killed"}


@dataclass
class Row:
    key: str
    status: str | None
    aborted: bool = False

    def __post_init__(self):
        st = (self.status or "").strip().lower()
        st = ALIASES.get(st, st)
        if not st:
            st = None
        if st is None and self.aborted:
            st = "killed"
        self.status = st


@dataclass
class Proc:
    pid: int
    status: str


def rows(path):
    con = sqlite3.connect(path)
    try:
        return [Row(k, s, bool(a)) for k, s, a in con.execute(
            "SELECT session_key, status, aborted_last_run FROM session_nodes")]
    finally:
        con.close()
'''

TRIAGE = '''from .rows import Proc, Row


def triage(row: Row) -> str:
    match row:
        case Row(status="running"):
            return "wait"
        case Row(status="killed") | Row(aborted=True):
            return "leave"
        case Row(status="timeout" | "failed", key=key) if key.startswith("cron:"):
            return "tomorrow"
        case Row(status="done"):
            return "nothing"
        case _:
            return "unknown"


def proc_note(proc: Proc) -> str:
    match proc:
        case Proc(status="failed" | "killed"):
            return "exited"
        case _:
            return "ok"
'''


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    write_package(root, "nodes", {"rows.py": ROWS, "triage.py": TRIAGE})
    return root


def test_scan_lists_the_session_class_patterns_and_the_writer(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "nodes/triage.py:8:25: status-match [certain, rewrite] 'killed' -> 'halted'",
        "nodes/triage.py:10:25: status-match [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "nodes/triage.py:10:37: status-match [certain, rewrite] 'failed' -> 'interrupted'",
        "nodes/triage.py:12:25: status-match [certain, rewrite] 'done' -> 'agent_responded'",
        "nodes/rows.py:4:25: status-rebound-name: `timeout` kept in expand (a written or single value), "
        "`waiting_for_response` in contract: contract pending",
        "nodes/rows.py:4:47: status-rebound-name: `killed` kept in expand (a written or single value), "
        "`halted` in contract: contract pending",
        "nodes/rows.py:19:18: status-rebound-name: `killed` kept in expand (a written or single value), "
        "`halted` in contract: contract pending",
        "3 files scanned, 4 findings: 4 to rewrite, 0 to review (expand phase)",
    ]


EXPANDED = TRIAGE.replace('Row(status="killed")', 'Row(status="killed" | "halted")').replace(
    'Row(status="timeout" | "failed",', 'Row(status="timeout" | "waiting_for_response" | "failed" | "interrupted",'
).replace('Row(status="done")', 'Row(status="done" | "agent_responded")')
CONTRACTED = TRIAGE.replace('Row(status="killed")', 'Row(status="halted")').replace(
    'Row(status="timeout" | "failed",', 'Row(status="waiting_for_response" | "interrupted",'
).replace('Row(status="done")', 'Row(status="agent_responded")')


def test_expand_and_contract_bytes_and_behaviour(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    store = tmp_path / "agent.sqlite"
    contracted_rows = ROWS.replace('st = "killed"', 'st = "halted"').replace(
        '{"timed_out": "timeout", "stopped": "killed"}', '{"timed_out": "waiting_for_response", "stopped": "halted"}')
    for phase, triage, rows in (("expand", EXPANDED, ROWS), ("contract", CONTRACTED, contracted_rows)):
        # The store speaks the old names until contract (its data migration runs beside it).
        done_word, timeout_word = ("done", "timeout") if phase == "expand" else ("agent_responded", "waiting_for_response")
        store.unlink(missing_ok=True)
        con = sqlite3.connect(store)
        con.execute("CREATE TABLE session_nodes (session_key TEXT, status TEXT, aborted_last_run INTEGER)")
        con.executemany("INSERT INTO session_nodes VALUES (?, ?, ?)", [
            ("main", done_word, 0), ("cron:nightly", timeout_word, 0), ("web", "stopped", 0),
            ("late", "timed_out", 0), ("gone", None, 1)])
        con.commit()
        con.close()
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert (root / "nodes" / "triage.py").read_text("utf-8") == triage, phase
        assert (root / "nodes" / "rows.py").read_text("utf-8") == rows, phase
        with imported(root, "nodes"):
            from nodes import rows as module, triage as checks  # type: ignore[import-not-found]

            found = [checks.triage(r) for r in module.rows(store)]
            # What __post_init__ writes (an alias, a gone session) is read as each phase speaks.
            assert found == ["nothing", "tomorrow", "leave", "unknown", "leave"], phase
            assert [r.status for r in module.rows(store)][2:] == (
                ["killed", "timeout", "killed"] if phase == "expand" else ["halted", "waiting_for_response", "halted"])
            new = [module.Row("a", "agent_responded"), module.Row("b", "halted")]
            assert [checks.triage(r) for r in new] == ["nothing", "leave"], phase
            assert checks.proc_note(module.Proc(1, "failed")) == "exited"
            assert checks.proc_note(module.Proc(1, "interrupted")) == "ok"
