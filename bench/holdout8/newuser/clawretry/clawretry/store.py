"""The job table: one row per retry we owe a session."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS retry_jobs (
    id INTEGER PRIMARY KEY,
    session_key TEXT NOT NULL,
    session_status TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'running', 'done', 'failed', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at REAL NOT NULL,
    last_error TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS retry_jobs_open ON retry_jobs(session_key) WHERE state IN ('pending', 'running');
"""

# Our job states (the CHECK above), not OpenClaw's.
JOB_OPEN = ("pending", "running")
JOB_FINAL = ("done", "failed", "dead")


@dataclass
class Job:
    id: int
    session_key: str
    session_status: str
    state: str
    attempts: int
    due_at: float
    last_error: str | None


class Store:
    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path)
        self.conn.row_factory = sqlite3.Row
        self.conn.executescript(SCHEMA)

    def enqueue(self, session_key: str, session_status: str, delay: float) -> bool:
        """Owe one retry to a session; False if one is already open."""
        try:
            with self.conn:
                self.conn.execute(
                    "INSERT INTO retry_jobs (session_key, session_status, due_at) VALUES (?, ?, ?)",
                    (session_key, session_status, time.time() + delay),
                )
        except sqlite3.IntegrityError:
            return False
        return True

    def claim_due(self, limit: int = 10) -> list[Job]:
        with self.conn:
            rows = self.conn.execute(
                "SELECT * FROM retry_jobs WHERE state = 'pending' AND due_at <= ? ORDER BY due_at LIMIT ?",
                (time.time(), limit),
            ).fetchall()
            self.conn.executemany(
                "UPDATE retry_jobs SET state = 'running', attempts = attempts + 1 WHERE id = ?",
                [(r["id"],) for r in rows],
            )
        return [Job(**{**dict(r), "state": "running", "attempts": r["attempts"] + 1}) for r in rows]

    def finish(self, job: Job, state: str, error: str | None = None, retry_in: float | None = None) -> None:
        with self.conn:
            if retry_in is not None:
                self.conn.execute(
                    "UPDATE retry_jobs SET state = 'pending', due_at = ?, last_error = ? WHERE id = ?",
                    (time.time() + retry_in, error, job.id),
                )
            else:
                self.conn.execute(
                    "UPDATE retry_jobs SET state = ?, last_error = ? WHERE id = ?", (state, error, job.id)
                )

    def counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT state, COUNT(*) FROM retry_jobs GROUP BY state").fetchall()
        return {state: n for state, n in rows}

    def by_session_status(self, session_status: str) -> list[Job]:
        rows = self.conn.execute(
            "SELECT * FROM retry_jobs WHERE session_status = ? ORDER BY id", (session_status,)
        ).fetchall()
        return [Job(**dict(r)) for r in rows]
