"""No input can crash a run, lose data, or leave it where it does not belong.

Each case through the real CLI, with a good file beside the bad one: the bad
one named on one line, no traceback, the defined exit code, its bytes
unchanged, the good one migrated.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from datahelpers import DB_REL, make_state

from conftest import REPO, run_cli, snapshot
from migrator.pipeline import PARALLEL_THRESHOLD, WORKER_DIES_ENV

SESSION_TEST = b'data = invoke("sessions_list")\nfor row in data["sessions"]:\n    if row["status"] == "done":\n        pass\n'
MIGRATED = SESSION_TEST.replace(b'== "done"', b'in ("done", "agent_responded")')
SESSIONS = "agents/main/sessions/sessions.json"
NESTED = b"x = " + b"(" * 3000 + b"'done'" + b")" * 3000 + b"\n"


def _problem_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(("error:", "migrator: error:", "kept:"))]


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_nesting_that_crashes_libcst_costs_that_file_only(tmp_path: Path, jobs: str) -> None:
    (tmp_path / "deep.py").write_bytes(NESTED)
    # Enough files that -j 2 really runs a pool of workers.
    for i in range(PARALLEL_THRESHOLD):
        (tmp_path / f"good{i}.py").write_bytes(SESSION_TEST)
    result = run_cli("apply", ".", "--write", "-j", jobs, cwd=tmp_path)
    _no_traceback(result)
    assert result.returncode == 3, result.stderr
    assert _problem_lines(result.stderr) == [
        "error: deep.py: cannot parse Python: too many nested parentheses (line 1, column 205)"]
    assert (tmp_path / "deep.py").read_bytes() == NESTED
    assert all((tmp_path / f"good{i}.py").read_bytes() == MIGRATED for i in range(PARALLEL_THRESHOLD))


def test_a_worker_that_dies_costs_the_file_it_held(tmp_path: Path) -> None:
    for i in range(PARALLEL_THRESHOLD * 3):
        (tmp_path / f"m{i:02d}.py").write_bytes(SESSION_TEST)
    result = run_cli("apply", ".", "--write", "-j", "2", cwd=tmp_path, env={WORKER_DIES_ENV: "m07.py"})
    _no_traceback(result)
    assert result.returncode == 3, result.stderr
    assert _problem_lines(result.stderr) == [
        "error: m07.py: the process analysing it died (its parser crashed); file left unchanged"]
    assert (tmp_path / "m07.py").read_bytes() == SESSION_TEST
    others = [p for p in sorted(tmp_path.glob("m*.py")) if p.name != "m07.py"]
    assert len(others) == PARALLEL_THRESHOLD * 3 - 1 and all(p.read_bytes() == MIGRATED for p in others)


@pytest.mark.parametrize("top, kind", [(b'[{"status": "done"}]\n', "an array"), (b'"done"\n', "not an object")])
def test_sessions_json_whose_top_level_is_not_an_object(tmp_path: Path, top: bytes, kind: str) -> None:
    state = make_state(tmp_path, db=False)
    bad = state / "agents" / "other" / "sessions" / "sessions.json"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(top)
    good_before = (state / SESSIONS).read_bytes()
    result = run_cli("apply", "state", "--write", cwd=tmp_path)
    _no_traceback(result)
    assert result.returncode == 3, result.stderr
    assert _problem_lines(result.stderr) == [
        f"error: not an OpenClaw session store: state/agents/other/sessions/sessions.json (its top level is {kind})"]
    assert bad.read_bytes() == top
    assert (state / SESSIONS).read_bytes() != good_before
    assert b'"agent_responded"' in (state / SESSIONS).read_bytes()


def test_sqlite_at_the_store_path_without_session_tables(tmp_path: Path) -> None:
    state = make_state(tmp_path, db=False)
    db = state / DB_REL
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, status TEXT)")
    conn.execute("INSERT INTO notes (status) VALUES ('done')")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    result = run_cli("apply", "state", "--write", cwd=tmp_path)
    _no_traceback(result)
    assert result.returncode == 3, result.stderr
    assert _problem_lines(result.stderr) == [
        f"error: not an OpenClaw session store: state/{DB_REL} (no session tables)"]
    assert db.read_bytes() == before
    assert b'"agent_responded"' in (state / SESSIONS).read_bytes()


def test_a_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_bytes(SESSION_TEST)
    scan = run_cli("scan", "good.py", "nowhere", cwd=tmp_path)
    assert scan.returncode == 2
    assert _problem_lines(scan.stderr) == ["error: nowhere: no such file or directory"]
    result = run_cli("apply", "good.py", "nowhere", "--write", cwd=tmp_path)
    _no_traceback(result)
    assert result.returncode == 2
    assert _problem_lines(result.stderr) == ["error: nowhere: no such file or directory"]
    assert (tmp_path / "good.py").read_bytes() == MIGRATED


def test_a_store_kept_by_the_version_gate_is_not_a_parse_error(tmp_path: Path) -> None:
    state = make_state(tmp_path, gateway="2026.9.6")
    (tmp_path / "good.py").write_bytes(SESSION_TEST)
    before = snapshot(state)
    result = run_cli("apply", ".", "state", "--write", "--phase", "contract", cwd=tmp_path)
    _no_traceback(result)
    assert result.returncode == 1, result.stderr  # work left, no broken input
    why = "its gateway 2026.9.6 stores old names; migrate after upgrading, or pass --gateway-version"
    assert _problem_lines(result.stderr) == [f"kept: state/{DB_REL}: {why}", f"kept: state/{SESSIONS}: {why}"]
    assert "could not be read or parsed" not in result.stderr
    assert "2 stores kept for their gateway" in result.stderr.splitlines()[-1]
    assert snapshot(state) == before
    assert (tmp_path / "good.py").read_bytes().replace(b"agent_responded", b"") != SESSION_TEST
    scan = run_cli("scan", "state", "--phase", "contract", "--format", "json", cwd=tmp_path)
    assert {k["path"] for k in json.loads(scan.stdout)["kept"]} == {f"state/{DB_REL}", f"state/{SESSIONS}"}
    assert json.loads(scan.stdout)["errors"] == []
    sarif = run_cli("scan", "state", "--phase", "contract", "--format", "sarif", cwd=tmp_path)
    [invocation] = json.loads(sarif.stdout)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True  # kept is no failure of the run
    assert [(n["level"], n["message"]["text"]) for n in invocation["toolExecutionNotifications"]] == [
        ("note", f"kept: {why}"), ("note", f"kept: {why}")]


def test_the_journal_of_a_state_dir_lives_in_it(tmp_path: Path) -> None:
    state = make_state(tmp_path / "home")
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.migrator]\n")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    before, db_before = snapshot(state), (state / DB_REL).read_bytes()
    done = run_cli("apply", "--state-dir", str(state), "--write", cwd=project)
    assert done.returncode == 0, done.stderr
    assert not (project / ".migrator" / "journal").exists()
    home = state / ".migrator"
    assert home.stat().st_mode & 0o777 == 0o700
    assert (home / ".gitignore").read_text().splitlines()[-1] == "*"
    assert len([p for p in (home / "journal").iterdir() if p.name != "blobs"]) == 1
    status = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=project, capture_output=True,
                            text=True, check=True)
    assert "journal" not in status.stdout
    # Found from the state dir given, wherever rollback runs.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    back = run_cli("rollback", "--state-dir", str(state), cwd=elsewhere)
    assert back.returncode == 0, back.stderr
    assert snapshot(state) == before
    assert (state / DB_REL).read_bytes() == db_before  # unchanged since the run: byte for byte
    assert f"restored: {state / DB_REL}" in back.stderr


def test_sqlite_rollback_after_the_gateway_wrote_restores_content_and_says_so(tmp_path: Path) -> None:
    state = make_state(tmp_path)
    db = state / DB_REL
    conn = sqlite3.connect(db)
    sessions_before = conn.execute("SELECT * FROM session_nodes ORDER BY rowid").fetchall()
    conn.close()
    assert run_cli("apply", "state", "--write", cwd=tmp_path).returncode == 0
    conn = sqlite3.connect(db)
    # The gateway wrote since, outside the session tables: the bytes differ now.
    conn.execute("INSERT INTO schema_meta VALUES ('last_seen', '42')")
    conn.commit()
    conn.close()
    back = run_cli("rollback", "state", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    assert (f"restored-content: state/{DB_REL} (the database was written to since the run: its session tables "
            "are restored from the journal's copy, other tables keep what was written since, the file's bytes "
            "differ)") in back.stderr.splitlines()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT * FROM session_nodes ORDER BY rowid").fetchall() == sessions_before
    # What the gateway wrote is kept.
    assert conn.execute("SELECT * FROM schema_meta WHERE key = 'last_seen'").fetchall() == [("last_seen", "42")]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_ctrl_c_during_write_stops_at_a_file_boundary(tmp_path: Path) -> None:
    count = 400
    for i in range(count):
        (tmp_path / f"f{i:03d}.py").write_bytes(SESSION_TEST)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "migrator", "apply", ".", "--write", "-j", "1"], cwd=tmp_path,
                            env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    first = proc.stderr.readline()
    assert first.startswith("rewrote "), first
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    err = first + err
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    written = [line for line in err.splitlines() if line.startswith("rewrote ")]
    assert 0 < len(written) < count
    [journal] = [line for line in err.splitlines() if " rewritten; journal " in line]
    run_id = journal.split("; journal ")[1].split(" ")[0]
    assert (tmp_path / ".migrator" / "journal" / run_id).is_dir()
    assert err.splitlines()[-1] == (f"interrupted: {count - len(written)} files not written yet; run the same "
                                    "command again to finish, or `migrator rollback .` to undo")
    files = {p.name: p.read_bytes() for p in tmp_path.glob("f*.py")}
    assert sum(data == MIGRATED for data in files.values()) == len(written)
    assert all(data in (SESSION_TEST, MIGRATED) for data in files.values())
    again = run_cli("apply", ".", "--write", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert all(p.read_bytes() == MIGRATED for p in tmp_path.glob("f*.py"))



def test_ctrl_c_during_the_analysis_stops_the_workers(tmp_path: Path) -> None:
    for i in range(3000):  # seconds of analysis even on a fast machine
        # Each file its own bytes: a module parsed once is not parsed again
        # for a copy of it, which would make the analysis far too short.
        (tmp_path / f"f{i:04d}.py").write_bytes(SESSION_TEST + f"# {i}\n".encode())
    before = snapshot(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "migrator", "apply", ".", "--write", "--no-cache", "-j", "2"],
                            cwd=tmp_path, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    # Inside the analysis: once the pool's workers are running (Linux names a
    # process's children in /proc), however slowly the machine starts it up.
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not children.read_text().split():
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (130, "migrator: error: interrupted; nothing was written\n")
    assert snapshot(tmp_path) == before


def test_sqlite_with_a_write_ahead_log_open_rolls_back_its_content(tmp_path: Path) -> None:
    state = make_state(tmp_path)
    db = state / DB_REL
    gateway = sqlite3.connect(db)  # the gateway holds the database open, in WAL mode
    assert gateway.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    gateway.execute("INSERT INTO schema_meta VALUES ('seen', '1')")
    gateway.commit()
    assert (state / (DB_REL + "-wal")).stat().st_size > 0
    before = sorted(gateway.iterdump())
    done = run_cli("apply", "state", "--write", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert gateway.execute("SELECT count(*) FROM session_nodes WHERE status = 'done'").fetchone()[0] == 0
    back = run_cli("rollback", "state", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    assert any(line.startswith(f"restored-content: state/{DB_REL} ") for line in back.stderr.splitlines())
    assert sorted(gateway.iterdump()) == before
    gateway.close()


def test_no_journal_no_change(tmp_path: Path) -> None:
    """A state dir where the journal cannot be kept is left as it is; the
    project beside it still migrates (its journal is elsewhere)."""
    state = make_state(tmp_path)
    (tmp_path / "good.py").write_bytes(SESSION_TEST)
    (state / ".migrator").write_text("not a directory\n")  # no journal can go there
    before = snapshot(state)
    result = run_cli("apply", ".", "--write", cwd=tmp_path)
    _no_traceback(result)
    assert result.returncode == 3, result.stderr
    lines = _problem_lines(result.stderr)
    assert lines and all(" cannot keep a journal in " in line and line.endswith("; left as it is") for line in lines)
    assert snapshot(state) == before
    assert (tmp_path / "good.py").read_bytes() == MIGRATED
