"""The loop: find sessions to retry, send them a nudge, record how it went."""

from __future__ import annotations

import json
import logging
import subprocess
import time
from pathlib import Path
from typing import Any

from .policy import DEFAULT, Policy
from .store import Job, Store

log = logging.getLogger("clawretry")

NUDGE = "Your last run did not finish cleanly. Pick up where you left off."


def list_sessions() -> list[dict[str, Any]]:
    proc = subprocess.run(
        ["openclaw", "sessions", "--json", "--all-agents", "--limit", "all"],
        capture_output=True, text=True, timeout=30, check=True,
    )
    return json.loads(proc.stdout).get("sessions", [])


def nudge(session_key: str) -> str:
    """Send the nudge through the gateway; our own outcome: "sent", "timeout" or "failed"."""
    params = json.dumps({"key": session_key, "message": NUDGE})
    try:
        proc = subprocess.run(
            ["openclaw", "gateway", "call", "sessions.send", "--params", params, "--timeout", "10000"],
            capture_output=True, text=True, timeout=20,
        )
    except subprocess.TimeoutExpired:
        return "timeout"
    return "sent" if proc.returncode == 0 else "failed"


def scan(store: Store, policy: Policy = DEFAULT) -> int:
    queued = 0
    for row in list_sessions():
        if policy.wants(row):
            queued += store.enqueue(row["key"], row["status"], policy.first_delay(row["status"]))
    return queued


def work(store: Store, policy: Policy = DEFAULT) -> None:
    current = {r["key"]: r for r in list_sessions()}
    for job in store.claim_due():
        row = current.get(job.session_key)
        if row is None or row.get("status") not in policy.delays:
            # Gone, or it ran again and ended well (or was stopped): nothing owed.
            store.finish(job, "done")
            continue
        outcome = nudge(job.session_key)
        if outcome == "sent":
            store.finish(job, "done")
        elif job.attempts >= policy.max_attempts:
            store.finish(job, "dead", error=outcome)
        elif outcome == "timeout":
            store.finish(job, "failed", error="gateway call timed out", retry_in=policy.next_delay(job.session_status, job.attempts))
        else:
            store.finish(job, "failed", error=outcome, retry_in=policy.next_delay(job.session_status, job.attempts))


def summary(store: Store) -> dict[str, Any]:
    counts = store.counts()
    return {
        "jobs_done": counts.get("done", 0),
        "jobs_failed": counts.get("failed", 0),
        "jobs_dead": counts.get("dead", 0),
        "for_timed_out_sessions": len(store.by_session_status("timeout")),
        "for_failed_sessions": len(store.by_session_status("failed")),
    }


def main(db: Path = Path("clawretry.sqlite"), interval: float = 60.0) -> None:
    store = Store(db)
    while True:
        log.info("queued %d retries", scan(store))
        work(store)
        log.info("%s", summary(store))
        time.sleep(interval)
