"""SQLite store of finished automation runs and of the session row each run used."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

DB = Path(os.environ.get("HOOKDESK_DB", "hookdesk.sqlite3"))

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL,
  status TEXT,            -- payload outcome: ok / error / skipped
  completion TEXT,        -- completionStatus, when the gateway sent one
  session_key TEXT,
  received_at REAL NOT NULL,
  event_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_sessions (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id),
  session_status TEXT,    -- status of the session's sessions_list row
  aborted INTEGER NOT NULL DEFAULT 0,
  row_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS run_sessions_status ON run_sessions(session_status);
"""


def connect() -> sqlite3.Connection:
    conn = sqlite3.connect(DB)
    conn.row_factory = sqlite3.Row
    conn.executescript(SCHEMA)
    return conn


def save_run(event: dict[str, Any]) -> int:
    with closing(connect()) as conn, conn:
        cur = conn.execute(
            "INSERT INTO runs (job_id, status, completion, session_key, received_at, event_json)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                event["jobId"],
                event.get("status"),
                event.get("completionStatus"),
                event.get("sessionKey"),
                time.time(),
                json.dumps(event),
            ),
        )
        return int(cur.lastrowid or 0)


def save_session(run_id: int, row: dict[str, Any]) -> None:
    with closing(connect()) as conn, conn:
        conn.execute(
            "INSERT OR REPLACE INTO run_sessions (run_id, session_status, aborted, row_json) VALUES (?, ?, ?, ?)",
            (run_id, row.get("status"), int(bool(row.get("abortedLastRun"))), json.dumps(row)),
        )


def mark_session(run_id: int, status: str) -> None:
    with closing(connect()) as conn, conn:
        conn.execute("UPDATE run_sessions SET session_status = ? WHERE run_id = ?", (status, run_id))


def recent_runs(limit: int = 50, session_status: str | None = None) -> list[dict[str, Any]]:
    sql = (
        "SELECT r.id, r.job_id, r.status, r.completion, r.session_key, s.session_status"
        " FROM runs r LEFT JOIN run_sessions s ON s.run_id = r.id"
    )
    args: list[Any] = []
    if session_status:
        sql += " WHERE s.session_status = ?"
        args.append(session_status)
    sql += " ORDER BY r.id DESC LIMIT ?"
    args.append(limit)
    with closing(connect()) as conn:
        return [dict(r) for r in conn.execute(sql, args)]


def runs_by_session_status(statuses: tuple[str, ...]) -> list[dict[str, Any]]:
    marks = ", ".join("?" for _ in statuses)
    sql = (
        "SELECT r.id, r.job_id, r.session_key, s.session_status FROM runs r"
        f" JOIN run_sessions s ON s.run_id = r.id WHERE s.session_status IN ({marks}) ORDER BY r.id DESC"
    )
    with closing(connect()) as conn:
        return [dict(r) for r in conn.execute(sql, statuses)]


def failed_deliveries() -> int:
    with closing(connect()) as conn:
        return int(conn.execute("SELECT count(*) FROM runs WHERE completion = ?", ("failed",)).fetchone()[0])


def error_runs_since(since: float) -> list[dict[str, Any]]:
    with closing(connect()) as conn:
        rows = conn.execute("SELECT id, job_id FROM runs WHERE status = 'error' AND received_at >= ?", (since,))
        return [dict(r) for r in rows]
