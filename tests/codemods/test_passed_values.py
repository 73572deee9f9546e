"""One session status passed to a function that compares a session status
with its parameter: bound to `WHERE status = ?` of a session table, or
compared with a row's status, called in its own module and from another.
A call passes one value: kept in expand (contract pending), renamed in
contract. The same calls over a job table and subagent run outcomes change
nothing."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

QUERIES = '''import sqlite3


def ended_with(db, status, since=0):
    """Keys of the session windows that ended with `status` since a time."""
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT session_key FROM session_windows WHERE status = ? AND ended_at >= ?", (status, since)
    ).fetchall()
    return sorted(r[0] for r in rows)


def jobs_in(db, state):
    con = sqlite3.connect(db)
    return sorted(r[0] for r in con.execute("SELECT id FROM jobs WHERE state = ?", (state,)))


def stopped(db):
    return ended_with(db, "killed")
'''

REPORT = '''import sys

from board.queries import ended_with, jobs_in

db = sys.argv[1]
print(",".join(ended_with(db, "timeout")), ",".join(jobs_in(db, "failed")), sep="|")
'''


def _project(root: Path) -> None:
    (root / "board").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "board"\nversion = "0"\n', "utf-8")
    (root / "board" / "__init__.py").write_text("", "utf-8")
    (root / "board" / "queries.py").write_text(QUERIES, "utf-8")
    (root / "board" / "report.py").write_text(REPORT, "utf-8")


def _db(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE session_windows (session_key TEXT, status TEXT, ended_at INTEGER)")
    con.execute("CREATE TABLE jobs (id TEXT, state TEXT)")
    con.executemany("INSERT INTO session_windows VALUES (?, ?, 5)", [
        ("a", "timeout"), ("b", "waiting_for_response"), ("c", "killed"), ("d", "halted")])
    con.executemany("INSERT INTO jobs VALUES (?, ?)", [("j1", "failed"), ("j2", "interrupted")])
    con.commit()
    con.close()
    return path


def _report(root: Path, db: Path) -> str:
    return subprocess.run([sys.executable, "-m", "board.report", str(db)], cwd=root, capture_output=True,
                          text=True, timeout=60, check=True).stdout.strip()


def _stopped(root: Path, db: Path) -> str:
    code = f"from board.queries import stopped; print(','.join(stopped({str(db)!r})))"
    return subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                          timeout=60, check=True).stdout.strip()


def test_a_status_passed_for_a_compared_parameter_changes_in_contract(tmp_path: Path) -> None:
    root = tmp_path / "project"
    _project(root)
    scan = run_cli("scan", ".", cwd=root)
    assert (scan.returncode, scan.stderr) == (0, "")
    assert scan.stdout.splitlines() == [
        "board/queries.py:19:27: status-passed-value: `killed` kept in expand (a written or single value), "
        "`halted` in contract: contract pending",
        "board/report.py:6:31: status-passed-value: `timeout` kept in expand (a written or single value), "
        "`waiting_for_response` in contract: contract pending",
        "3 files scanned, 0 findings: 0 to rewrite, 0 to review (expand phase)",
    ]
    done = run_cli("apply", ".", "--write", "--phase", "expand", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "board" / "queries.py").read_text("utf-8") == QUERIES
    assert (root / "board" / "report.py").read_text("utf-8") == REPORT

    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "board" / "queries.py").read_text("utf-8") == QUERIES.replace(
        'ended_with(db, "killed")', 'ended_with(db, "halted")')
    assert (root / "board" / "report.py").read_text("utf-8") == REPORT.replace(
        'ended_with(db, "timeout")', 'ended_with(db, "waiting_for_response")')
    # Contracted: the windows a new gateway writes are found; the job table's own word is untouched.
    db = _db(tmp_path / "state.sqlite")
    assert _report(root, db) == "b|j1"
    assert _stopped(root, db) == "d"
    assert run_cli("scan", ".", "--phase", "contract", cwd=root).returncode == 0


OUTCOMES = '''import json


def runs_with(path, status):
    """Subagent runs whose outcome is `status`."""
    data = json.load(open(path))["runs"]
    return sorted(k for k, run in data.items() if run["outcome"]["status"] == status)


def replies(client, key, status):
    reply = client.call("sessions_send", {"sessionKey": key, "message": "ping"})
    return reply["status"] == status


print(runs_with("subagents/runs.json", "timeout"), replies(None, "k", "failed"))
'''


def test_the_same_calls_over_another_vocabulary_change_nothing(tmp_path: Path) -> None:
    root = tmp_path / "project"
    _project(root)
    (root / "board" / "queries.py").write_text(QUERIES.replace("session_windows", "windows"), "utf-8")
    (root / "board" / "outcomes.py").write_text(OUTCOMES, "utf-8")
    before = {p: p.read_bytes() for p in root.rglob("*.py")}
    scan = run_cli("scan", ".", "--min-confidence", "possible", cwd=root)
    assert scan.stdout.splitlines()[-1] == "4 files scanned, 0 findings: 0 to rewrite, 0 to review (expand phase)", \
        scan.stdout
    for phase in ("expand", "contract"):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--min-confidence", "possible", cwd=root)
        assert done.returncode == 0, done.stderr
    assert {p: p.read_bytes() for p in root.rglob("*.py")} == before


TALLY = '''import json
import sys
from pathlib import Path

home = Path(sys.argv[1])
entries = json.loads((home / "agents" / "main" / "sessions" / "sessions.json").read_text())
runs = json.loads((home / "subagents" / "runs.json").read_text())["runs"]
for status, label in [("done", "answered"), ("killed", "stopped by hand")]:
    print(label, sum(1 for e in entries.values() if e.get("status") == status))
for status, label in [("timeout", "runs over time"), ("error", "runs that broke")]:
    print(label, sum(1 for r in runs.values() if r["outcome"]["status"] == status))
'''


def test_each_item_of_a_loop_over_literal_pairs_compared_with_a_session_status(tmp_path: Path) -> None:
    """A loop's item is one value at a time: kept in expand, renamed in
    contract; the loop over run outcomes beside it is another vocabulary's."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "tally"\nversion = "0"\n', "utf-8")
    script = root / "tally.py"
    script.write_text(TALLY, "utf-8")
    scan = run_cli("scan", ".", cwd=root)
    assert scan.stdout.splitlines() == [
        "tally.py:8:24: status-passed-value: `done` kept in expand (a written or single value), "
        "`agent_responded` in contract: contract pending",
        "tally.py:8:46: status-passed-value: `killed` kept in expand (a written or single value), "
        "`halted` in contract: contract pending",
        "1 file scanned, 0 findings: 0 to rewrite, 0 to review (expand phase)",
    ]
    assert run_cli("apply", ".", "--write", "--phase", "expand", cwd=root).returncode == 0
    assert script.read_text("utf-8") == TALLY
    assert run_cli("apply", ".", "--write", "--phase", "contract", cwd=root).returncode == 0
    assert script.read_text("utf-8") == TALLY.replace('("done", "answered")', '("agent_responded", "answered")') \
        .replace('("killed", "stopped by hand")', '("halted", "stopped by hand")')
    home = tmp_path / "home"
    (home / "agents" / "main" / "sessions").mkdir(parents=True)
    (home / "agents" / "main" / "sessions" / "sessions.json").write_text(json.dumps(
        {"a": {"status": "agent_responded"}, "b": {"status": "done"}, "c": {"status": "halted"}}), "utf-8")
    (home / "subagents").mkdir()
    (home / "subagents" / "runs.json").write_text(json.dumps({"runs": {
        "r1": {"outcome": {"status": "timeout"}}, "r2": {"outcome": {"status": "error"}}}}), "utf-8")
    out = subprocess.run([sys.executable, str(script), str(home)], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.splitlines() == ["answered 1", "stopped by hand 1", "runs over time 1", "runs that broke 1"]
