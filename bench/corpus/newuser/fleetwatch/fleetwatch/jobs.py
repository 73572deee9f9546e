"""fleetwatch's own little job queue (a JSON file of jobs it hands to workers)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

QUEUE_FILE = Path("fleetwatch-jobs.json")
FINISHED = ("done", "failed")


def load() -> list[dict[str, Any]]:
    if not QUEUE_FILE.exists():
        return []
    return json.loads(QUEUE_FILE.read_text())


def save(jobs: list[dict[str, Any]]) -> None:
    QUEUE_FILE.write_text(json.dumps(jobs, indent=2))


def next_job() -> dict[str, Any] | None:
    for job in load():
        if job["state"] not in FINISHED and job["state"] != "taken":
            return job
    return None


def finish(job_id: str, ok: bool) -> None:
    jobs = load()
    for job in jobs:
        if job["id"] == job_id:
            job["state"] = "done" if ok else "failed"
            job["finished_at"] = time.time()
    save(jobs)
