"""The agent database exactly as a real OpenClaw 2026.9.6 gateway wrote it
(fixtures/data/openclaw-agent-2026.9.6.sql): migrated through the CLI, then
rolled back, with every table, index, trigger and foreign key intact."""

from __future__ import annotations

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
