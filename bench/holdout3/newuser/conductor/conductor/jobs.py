"""conductor's own job queue: shell commands and pages, in a small SQLite file."""
from __future__ import annotations

import sqlite3
import subprocess
from dataclasses import dataclass

from .vocab import FINAL, JobState


@dataclass
class Job:
    id: int
    kind: str
    arg: str
    state: str
    attempts: int = 0


class JobQueue:
    def __init__(self, path: str = "jobs.sqlite") -> None:
        self.db = sqlite3.connect(path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, kind TEXT, arg TEXT,"
            " state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)"
        )

    def push(self, kind: str, arg: str) -> None:
        self.db.execute("INSERT INTO jobs(kind, arg, state) VALUES (?, ?, ?)", (kind, arg, JobState.PENDING.value))
        self.db.commit()

    def next(self) -> Job | None:
        row = self.db.execute(
            "SELECT id, kind, arg, state, attempts FROM jobs WHERE state = ? ORDER BY id LIMIT 1", ("pending",)
        ).fetchone()
        return Job(*row) if row else None

    def finish(self, job: Job, ok: bool) -> None:
        job.state = "done" if ok else "failed"
        self.db.execute("UPDATE jobs SET state = ?, attempts = attempts + 1 WHERE id = ?", (job.state, job.id))
        self.db.commit()

    def requeue_failed(self, max_attempts: int = 3) -> int:
        cur = self.db.execute(
            "UPDATE jobs SET state = ? WHERE state = ? AND attempts < ?", ("pending", "failed", max_attempts)
        )
        self.db.commit()
        return cur.rowcount

    def settled(self, job: Job) -> bool:
        return job.state in FINAL


def run_shell(job: Job) -> dict:
    try:
        p = subprocess.run(job.arg, shell=True, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return {"status": "timeout"}
    return {"status": "done" if p.returncode == 0 else "failed", "code": p.returncode, "out": p.stdout[-2000:]}
