"""Session statuses bound as SQL parameters: the literals bound to the `?`
of a test of a session table's status column. A constant bound to
placeholders generated from its length is expanded and contracted like any
status collection; placeholders written by hand fix the number of names:
where the query and its names stand together in the call, expand adds a
placeholder with each new name and contract drops them again; a constant
bound to them is listed for review (one more name would break the query
that uses it elsewhere) and contract renames it one for one. A job table's
parameters stay."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

PRUNE = '''import sqlite3

DEAD = ("failed", "timeout")
GONE = ("done", "killed")
JOB_DEAD = ("failed", "timeout")


def prune(db):
    con = sqlite3.connect(db)
    marks = ",".join("?" * len(DEAD))
    con.execute(f"DELETE FROM session_nodes WHERE status IN ({marks})", DEAD)
    con.execute("DELETE FROM session_windows WHERE status IN (?, ?)", GONE)
    con.execute("DELETE FROM session_nodes WHERE updated_at < ? AND status IN (?, ?)", (5, "done", "killed"))
    con.execute("DELETE FROM jobs WHERE status IN (?, ?)", JOB_DEAD)
    con.execute("DELETE FROM jobs WHERE status = ?", ("done",))
    con.commit()
    left = con.execute("SELECT session_key FROM session_nodes UNION ALL SELECT session_key FROM session_windows "
                       "UNION ALL SELECT name FROM jobs")
    return sorted(r[0] for r in left)


def stop(db, key):
    con = sqlite3.connect(db)
    con.execute("UPDATE session_nodes SET status = ? WHERE session_key = ? AND status = ?", ("killed", key, "running"))
    con.execute("INSERT INTO session_windows (session_key, status) VALUES (?, ?)", (key, "killed"))
    con.execute("INSERT INTO jobs (name, status) VALUES (?, ?)", (key, "killed"))
    con.commit()
    return [r[0] for r in con.execute("SELECT status FROM session_nodes WHERE session_key = ? UNION ALL "
                                      "SELECT status FROM session_windows WHERE session_key = ? UNION ALL "
                                      "SELECT status FROM jobs WHERE name = ?", (key, key, key))]
'''

GONE_HELD = "but line 12 binds it to placeholders written by hand, one per name: generate them from the constant " \
            "(`\",\".join(\"?\" * len(GONE))`) for expand to add the new names"


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "prune"\n', "utf-8")
    (tmp_path / "prune.py").write_text(PRUNE, "utf-8")
    return tmp_path


def test_bound_statuses_are_found(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", "--show-why", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    dead = ("constant `DEAD` is used in a status test: compared with `DEAD`, bound to the placeholders of "
            "`status IN (...)` in a query of `session_nodes`, where a query of `session_nodes`")
    gone = ("constant `GONE` is used in a status test: compared with `GONE`, bound to the placeholders of "
            "`status IN (...)` in a query of `session_windows`, where a query of `session_windows`")
    bound = "bound to the placeholders of `status IN (...)` in a query of `session_nodes`"
    assert scan.stdout.splitlines() == [
        f"prune.py:3:9: status-constant [certain, rewrite] 'failed' -> 'interrupted': {dead}",
        f"prune.py:3:19: status-constant [certain, rewrite] 'timeout' -> 'waiting_for_response': {dead}",
        f"prune.py:13:92: status-sql-parameter [certain, rewrite] 'done' -> 'agent_responded': {bound}",
        f"prune.py:13:100: status-sql-parameter [certain, rewrite] 'killed' -> 'halted': {bound}",
        "to review (2):",
        f"prune.py:4:9: status-constant [certain, review] 'done' -> 'agent_responded': {gone}; {GONE_HELD}",
        f"prune.py:4:17: status-constant [certain, review] 'killed' -> 'halted': {gone}; {GONE_HELD}",
        "prune.py:24:94: status-sql-parameter: `killed` kept in expand (a written or single value), `halted` in "
        "contract: contract pending",
        "prune.py:25:90: status-sql-parameter: `killed` kept in expand (a written or single value), `halted` in "
        "contract: contract pending",
        "1 file scanned, 6 findings: 4 to rewrite, 2 to review (expand phase)",
    ]


def test_after_expand_and_contract(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    old = ["a:running", "b:queued", "nightly:running"]
    assert _run(root, "failed", "timeout", "done", "killed") == old
    assert _stopped(root) == ["killed", "killed", "killed"]
    done = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    expanded = PRUNE.replace('\nDEAD = ("failed", "timeout")',
                             '\nDEAD = ("failed", "interrupted", "timeout", "waiting_for_response")') \
        .replace('updated_at < ? AND status IN (?, ?)", (5, "done", "killed"))',
                 'updated_at < ? AND status IN (?, ?, ?, ?)", (5, "done", "agent_responded", "killed", "halted"))')
    assert (root / "prune.py").read_text("utf-8") == expanded
    # Both names of the generated list and of the query written with its
    # names are pruned; the query given GONE, left for review, still runs.
    assert _run(root, "failed", "timeout", "done", "killed") == old
    assert _run(root, "interrupted", "waiting_for_response", "done", "killed") == old
    assert _run(root, "interrupted", "waiting_for_response", "agent_responded", "halted") == sorted(old + ["w1", "w2"])
    assert _stopped(root) == ["killed", "killed", "killed"], "expand writes the old name still"
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    contracted = PRUNE.replace('\nDEAD = ("failed", "timeout")', '\nDEAD = ("interrupted", "waiting_for_response")') \
        .replace('GONE = ("done", "killed")', 'GONE = ("agent_responded", "halted")') \
        .replace('(5, "done", "killed")', '(5, "agent_responded", "halted")') \
        .replace('("killed", key, "running")', '("halted", key, "running")') \
        .replace('VALUES (?, ?)", (key, "killed"))\n    con.execute("INSERT INTO jobs',
                 'VALUES (?, ?)", (key, "halted"))\n    con.execute("INSERT INTO jobs')
    assert (root / "prune.py").read_text("utf-8") == contracted
    assert _run(root, "interrupted", "waiting_for_response", "agent_responded", "halted") == old
    assert _stopped(root) == ["halted", "halted", "killed"]


def _run(root: Path, failed: str, timeout: str, done: str, killed: str) -> list[str]:
    """Prune a fresh database whose dead rows carry the given names; what is
    left (the live rows, and the job queue's own rows but its dead ones)."""
    db = root / "state.sqlite"
    db.unlink(missing_ok=True)
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE session_nodes (session_key TEXT, status TEXT, updated_at INTEGER)")
    con.execute("CREATE TABLE session_windows (session_key TEXT, status TEXT)")
    con.execute("CREATE TABLE jobs (name TEXT, status TEXT)")
    con.executemany("INSERT INTO session_nodes VALUES (?, ?, ?)", [
        ("x1", failed, 9), ("x2", timeout, 9), ("x3", done, 1), ("x4", killed, 1), ("a:running", "running", 1)])
    con.executemany("INSERT INTO session_windows VALUES (?, ?)", [("w1", done), ("w2", killed), ("b:queued", "queued")])
    con.executemany("INSERT INTO jobs VALUES (?, ?)", [
        ("j1", "failed"), ("j2", "timeout"), ("j3", "done"), ("nightly:running", "running")])
    con.commit()
    con.close()
    code = "import sys; sys.path.insert(0, sys.argv[1]); import prune; print(' '.join(prune.prune(sys.argv[2])))"
    ran = subprocess.run([sys.executable, "-c", code, str(root), str(db)], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.split()


def _stopped(root: Path) -> list[str]:
    """What `stop()` writes to a running session's row, a window and a job."""
    _run(root, "failed", "timeout", "done", "killed")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import prune; "
            "print(' '.join(prune.stop(sys.argv[2], 'a:running')))")
    ran = subprocess.run([sys.executable, "-c", code, str(root), str(root / "state.sqlite")], capture_output=True,
                         text=True)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.split()
