"""A query row unpacked or indexed by position reads the columns of its
`SELECT` list: `for key, status, blob in con.execute("SELECT session_key,
status, entry_json FROM session_nodes")`, the same through `rows =
....fetchall()` and an f-string naming the table through a constant, and
`row[1]` of a `session_windows` row, compare session statuses. The status
column of another table and another column of a session table do not."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

PRUNE = '''import sqlite3

TABLE = "session_nodes"


def doomed(db):
    con = sqlite3.connect(db)
    out = []
    for key, status, blob in con.execute("SELECT session_key, status, entry_json FROM session_nodes"):
        if status == "failed":
            out.append(key)
    rows = con.execute(f"SELECT session_key, status FROM {TABLE} WHERE updated_at < ?", (10,)).fetchall()
    for key, status in rows:
        if status in ("timeout", "killed"):
            out.append(key)
    for row in con.execute("SELECT session_key, status FROM session_windows"):
        if row[1] == "done":
            out.append(row[0])
    return out


def stopped(db):
    con = sqlite3.connect(db)
    cur = con.cursor()
    cur.execute("SELECT session_key, status FROM session_windows")
    return [key for key, status in cur.fetchall() if status == "killed"]


def jobs(db):
    con = sqlite3.connect(db)
    out = []
    for name, status in con.execute("SELECT name, status FROM jobs"):
        if status == "failed":
            out.append(name)
    for key, status, mode in con.execute("SELECT session_key, status, mode FROM session_nodes"):
        if mode == "done":
            out.append(key)
    for row in con.execute("SELECT name, status FROM jobs"):
        if row[1] == "timeout":
            out.append(row[0])
    return out
'''

WHERE = "where a query of `{}`"


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "prune"\n', "utf-8")
    (tmp_path / "prune.py").write_text(PRUNE, "utf-8")
    return tmp_path


def test_columns_of_a_query_row_by_position(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", "--show-why", "--min-confidence", "possible", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    nodes = "compared with `status` (column `status` of a query of `session_nodes`), where a query of `session_nodes`"
    assert scan.stdout.splitlines() == [
        f"prune.py:10:22: status-compare [certain, rewrite] 'failed' -> 'interrupted': {nodes}",
        f"prune.py:14:23: status-membership [certain, rewrite] 'timeout' -> 'waiting_for_response': {nodes}",
        f"prune.py:14:34: status-membership [certain, rewrite] 'killed' -> 'halted': {nodes}",
        "prune.py:17:22: status-compare [certain, rewrite] 'done' -> 'agent_responded': compared with `row[1]` "
        "(column `status` of a query of `session_windows`), where `row` iterates a query of `session_windows`",
        "prune.py:26:64: status-compare [certain, rewrite] 'killed' -> 'halted': compared with `status` (column "
        "`status` of a query of `session_windows`), where a query of `session_windows`",
        "1 file scanned, 5 findings: 5 to rewrite, 0 to review (expand phase)",
    ]


def test_after_expand_and_contract(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    db = _database(tmp_path / "state.sqlite", "failed", "timeout", "done", "killed")
    assert _run(root, db) == ["a", "b", "c", "d"], "the old names, before any change"
    done = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    expanded = (PRUNE.replace('if status == "failed":\n            out.append(key)\n    rows',
                              'if status in ("failed", "interrupted"):\n            out.append(key)\n    rows')
                .replace('("timeout", "killed")', '("timeout", "waiting_for_response", "killed", "halted")')
                .replace('row[1] == "done"', 'row[1] in ("done", "agent_responded")')
                .replace('status == "killed"', 'status in ("killed", "halted")'))
    assert (root / "prune.py").read_text("utf-8") == expanded
    new = _database(tmp_path / "new.sqlite", "interrupted", "waiting_for_response", "agent_responded", "halted")
    assert _run(root, db) == ["a", "b", "c", "d"]
    assert _run(root, new) == ["a", "b", "c", "d"]
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    contracted = (PRUNE.replace('if status == "failed":\n            out.append(key)\n    rows',
                                'if status == "interrupted":\n            out.append(key)\n    rows')
                  .replace('("timeout", "killed")', '("waiting_for_response", "halted")')
                  .replace('row[1] == "done"', 'row[1] == "agent_responded"')
                  .replace('status == "killed"', 'status == "halted"'))
    assert (root / "prune.py").read_text("utf-8") == contracted
    assert _run(root, new) == ["a", "b", "c", "d"]


def _database(path: Path, failed: str, timeout: str, done: str, killed: str) -> Path:
    """Session rows with the given statuses, and a job table whose rows
    (`failed`, `timeout`, a `done` mode) the job checks must keep finding."""
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE session_nodes (session_key TEXT, status TEXT, entry_json TEXT, mode TEXT, "
                "updated_at INTEGER)")
    con.execute("CREATE TABLE session_windows (session_key TEXT, status TEXT)")
    con.execute("CREATE TABLE jobs (name TEXT, status TEXT)")
    con.executemany("INSERT INTO session_nodes VALUES (?, ?, '{}', ?, ?)",
                    [("a", failed, "done", 20), ("b", timeout, "chat", 5), ("x", "running", "chat", 5)])
    con.executemany("INSERT INTO session_windows VALUES (?, ?)", [("c", done), ("d", killed), ("y", "queued")])
    con.executemany("INSERT INTO jobs VALUES (?, ?)", [("nightly", "failed"), ("weekly", "timeout")])
    con.commit()
    con.close()
    return path


def _run(root: Path, db: Path) -> list[str]:
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import prune\n"
            "assert prune.jobs(sys.argv[2]) == ['nightly', 'a', 'weekly'], prune.jobs(sys.argv[2])\n"
            "print(' '.join(prune.doomed(sys.argv[2]) + prune.stopped(sys.argv[2])))\n")
    done = subprocess.run([sys.executable, "-c", code, str(root), str(db)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()
