"""The agent database exactly as a real OpenClaw 2026.9.6 gateway wrote it
(fixtures/data/openclaw-agent-2026.9.6.sql): migrated through the CLI, then
rolled back, with every table, index, trigger and foreign key intact."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from conftest import FIXTURES, run_cli
from migrator.sqlitedb import connect

REAL = FIXTURES / "data" / "openclaw-agent-2026.9.6.sql"
DB_REL = "agents/main/agent/openclaw-agent.sqlite"
SESSION_CHECK = "status IN ('running', 'done', 'failed', 'killed', 'timeout')"


def _state(tmp_path: Path) -> Path:
    state = tmp_path / "state"
    shutil.copytree(FIXTURES / "state", state, ignore=shutil.ignore_patterns(".migrator"))
    (state / "agents" / "main" / "sessions" / "sessions.json").unlink()  # imported into SQLite
    db = state / DB_REL
    db.parent.mkdir(parents=True)
    conn = connect(db)
    conn.executescript(REAL.read_text("utf-8"))
    conn.close()
    return state


def _schema(conn: sqlite3.Connection) -> dict[str, str]:
    return {name: sql for name, sql in conn.execute("SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL")}


def _counts(conn: sqlite3.Connection, tables: list[str]) -> dict[str, int]:
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_real_database_migrates_and_rolls_back(tmp_path: Path) -> None:
    state = _state(tmp_path)
    db = state / DB_REL
    work = tmp_path / "work"
    work.mkdir()
    (work / "pyproject.toml").write_text("[tool.migrator]\n")
    conn = connect(db)
    before_schema = _schema(conn)
    tables = [n for (n,) in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    before_counts = _counts(conn, tables)
    before_dump = list(conn.iterdump())
    statuses = dict(conn.execute("SELECT session_key, status FROM session_nodes"))
    conn.close()

    # An old gateway owns it: reviewed, never written.
    scan = run_cli("scan", "--state-dir", str(state), cwd=work)
    assert scan.returncode == 1, scan.stderr
    assert "session_nodes" in scan.stdout

    result = run_cli("apply", "--state-dir", str(state), "--gateway-version", "2027.1.0", "--write", cwd=work)
    assert result.returncode == 0, result.stderr

    conn = connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 23
    after_schema = _schema(conn)
    assert set(after_schema) == set(before_schema)  # every table, index and trigger
    assert _counts(conn, tables) == before_counts
    for table in ("session_nodes", "session_windows"):
        assert SESSION_CHECK in before_schema[table]
        assert SESSION_CHECK not in after_schema[table]
        for new in ("interrupted", "waiting_for_response", "agent_responded", "halted"):
            assert f"'{new}'" in after_schema[table]
    # Same words, other meanings: those constraints are untouched.
    for table in ("heartbeat_outcomes", "standing_intents", "session_pending_inputs"):
        assert after_schema[table] == before_schema[table]
    renamed = {"failed": "interrupted", "timeout": "waiting_for_response", "done": "agent_responded", "killed": "halted"}
    after = dict(conn.execute("SELECT session_key, status FROM session_nodes"))
    assert after == {k: renamed.get(v, v) if v else v for k, v in statuses.items()}
    documents = [row[0] for row in conn.execute("SELECT entry_json FROM session_nodes")]
    assert not any(f'"status":"{old}"' in doc for doc in documents for old in renamed)
    conn.close()

    undo = run_cli("rollback", "--state-dir", str(state), cwd=work)  # found from anywhere
    assert undo.returncode == 0, undo.stderr
    conn = connect(db)
    assert list(conn.iterdump()) == before_dump
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 23
    conn.close()


def test_window_findings_are_named_by_their_session_key_and_window(tmp_path: Path) -> None:
    # A session_windows row's key (session_id) alone names nothing a person
    # knows: its foreign key names the session it belongs to.
    state = _state(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    (work / "pyproject.toml").write_text("[tool.migrator]\n")
    scan = run_cli("scan", "--format", "json", "--state-dir", str(state), cwd=work)
    assert scan.returncode == 1, scan.stderr
    windows = [(f["key"], f["old"]) for f in json.loads(scan.stdout)["findings"] if f["table"] == "session_windows"]
    assert windows == [
        ("agent:main:cron:nightly-digest (session_id 0718293a-4b5c-4d6e-8f70-8192a3b4c5d6)", "done"),
        ("agent:main:discord:channel:123456789012345678 (session_id f6a7b8c9-d0e1-4f2a-9b3c-5d6e7f8091a2)", "failed"),
        ("agent:main:main (session_id 5b2e8f14-90c3-4d7a-b1e6-2f9a0c3d4e51)", "failed"),
        ("agent:main:subagent:0e1f2a3b-4c5d-4e6f-9a7b-8c9d0e1f2a3b (session_id c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f)", "killed"),
        ("agent:main:subagent:3f1c2a9e-6b7d-4e21-9a0f-1d2e3c4b5a60 (session_id a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d)", "done"),
        ("agent:main:subagent:7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d (session_id b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e)", "failed"),
        ("agent:main:subagent:9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a (session_id 1a2b3c4d-5e6f-4a7b-9c8d-7e6f5a4b3c2d)", "failed"),
        ("agent:main:subagent:c4d5e6f7-a8b9-4c0d-8e1f-2a3b4c5d6e7f (session_id d4e5f6a7-b8c9-4d0e-9f1a-3b4c5d6e7f80)", "timeout"),
    ]
    text = run_cli("scan", "--state-dir", str(state), cwd=work)
    db = state / DB_REL
    assert (f"{db}: session_windows.status of agent:main:main (session_id 5b2e8f14-90c3-4d7a-b1e6-2f9a0c3d4e51): "
            f"store:agent-sqlite [certain, review] 'failed' -> 'interrupted'") in text.stdout.splitlines()
    # A session's own row is still named by its key alone.
    assert (f"{db}: session_nodes.status of agent:main:main: store:agent-sqlite [certain, review] "
            f"'failed' -> 'interrupted'") in text.stdout.splitlines()
