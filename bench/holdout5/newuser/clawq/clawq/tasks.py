"""rq jobs: poll the gateway, keep its rows, ask agents about runs that ended badly.

Run a worker with ``rq worker clawq``; ``clawq.tasks.schedule()`` is called by cron.
"""

from __future__ import annotations

import logging
import time

from rq import Queue, get_current_job
from rq.job import Job

from . import gateway, settings, store

log = logging.getLogger(__name__)
queue = Queue("clawq", connection=store.r)


def poll_sessions() -> int:
    rows = gateway.list_sessions(active_minutes=120)
    n = store.save_rows(rows)
    for row in rows:
        if row.get("status") in settings.NEEDS_FOLLOWUP and not row.get("abortedLastRun"):
            queue.enqueue(
                follow_up,
                row["key"],
                row["status"],
                job_id=f"followup:{row['key']}:{row.get('endedAt')}",
                failure_ttl=7 * 24 * 3600,
            )
    return n


def follow_up(key: str, status: str) -> str:
    why = "hit its time limit" if status == "timeout" else "stopped on an error"
    reply = gateway.send(key, f"Your last run {why}. Say where you stopped and what you need to go on.")
    store.record_followup(key, reply)
    job = get_current_job()
    if job is not None:
        job.meta["reply_status"] = reply.get("status")
        job.save_meta()
    if reply.get("status") == "timeout":
        log.warning("%s did not answer within %ss", key, settings.SEND_TIMEOUT_S)
    return str(reply.get("status", "error"))


def job_report(job_ids: list[str]) -> dict[str, list[str]]:
    """How our own follow-up jobs went, by rq's job status."""
    out: dict[str, list[str]] = {"failed": [], "finished": [], "waiting": []}
    for job in Job.fetch_many(job_ids, connection=store.r):
        if job is None:
            continue
        status = job.get_status(refresh=False)
        if status == "failed":
            out["failed"].append(job.id)
        elif status in settings.JOB_FINAL:
            out["finished"].append(job.id)
        else:
            out["waiting"].append(job.id)
    return out


def archive_ended() -> list[str]:
    gone = []
    now = time.time()
    for row in store.all_rows():
        if row.get("status") not in settings.SESSION_ENDED:
            continue
        ended_ms = int(float(row.get("endedAt") or 0))
        if ended_ms and now - ended_ms / 1000 > settings.ARCHIVE_AFTER_S:
            store.forget(row["key"])
            gone.append(row["key"])
    return gone


def schedule() -> None:
    queue.enqueue(poll_sessions, job_timeout=settings.POLL_EVERY_S * 2)
    queue.enqueue(archive_ended)
