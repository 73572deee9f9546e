"""Keep N worker sessions alive: spawn a new one when a session looks dead."""

from __future__ import annotations

import argparse
import asyncio
import logging
import time

from fleetwatch import cli, jobs, store, tools
from fleetwatch.gateway import Gateway
from fleetwatch.rows import SessionRow
from fleetwatch.statuses import DEAD_STATES, FINISHED_OK, SEND_RETRYABLE, TERMINAL

log = logging.getLogger("fleetwatch")


def on_done(row: SessionRow) -> None:
    log.info("%s finished", row.key)


def on_failed(row: SessionRow) -> None:
    log.warning("%s failed, respawning", row.key)
    tools.spawn("continue the previous task", label=f"retry-{row.key}")


def on_killed(row: SessionRow) -> None:
    log.info("%s was stopped by a user, leaving it", row.key)


HANDLERS = {
    "done": on_done,
    "failed": on_failed,
    "timeout": on_failed,
    "killed": on_killed,
}


def handle(row: SessionRow) -> None:
    handler = HANDLERS.get(row.status or "")
    if handler is not None:
        handler(row)


def classify(status: str | None) -> str:
    match status:
        case "running":
            return "busy"
        case "done":
            return "idle"
        case "failed" | "timeout":
            return "broken"
        case "killed":
            return "stopped"
        case _:
            return "unknown"


async def reconcile(want: int) -> None:
    gw = Gateway()
    await gw.connect()
    try:
        rows = [SessionRow.from_row(r) for r in await gw.list_sessions()]
    finally:
        await gw.close()
    workers = [r for r in rows if ":worker-" in r.key]
    alive = [r for r in workers if r.status not in TERMINAL]
    for r in workers:
        log.debug("%s is %s", r.key, classify(r.status))
        if r.looks_dead or r.status in DEAD_STATES:
            handle(r)
    for _ in range(want - len(alive)):
        job = jobs.next_job()
        if job is None:
            break
        key = tools.spawn(job["task"], label=f"worker-{job['id']}")
        if key:
            job["state"] = "taken"


async def follow() -> None:
    gw = Gateway()
    await gw.connect()
    async for row in gw.watch():
        if row.get("status") == FINISHED_OK:
            log.info("%s finished a run", row.get("key"))
        if row.get("status") == "timeout" and row.get("abortedLastRun"):
            log.warning("%s hit its time limit", row.get("key"))
        if row.get("status") == "failed":
            tools.spawn("pick up where the failed worker stopped", label="recovery")


def nudge(key: str, attempts: int = 3) -> bool:
    """Ask a quiet worker for a status line, retrying while the send itself times out."""
    for _ in range(attempts):
        status = tools.send(key, "Reply with one line: what are you doing?")
        if status == "ok":
            return True
        if status not in SEND_RETRYABLE:
            return False
    return False


def sweep_disk() -> None:
    for key in store.dead_entries():
        log.info("on disk, %s needs attention", key)
    for run_id in store.timed_out_runs():
        log.info("sub-agent run %s timed out", run_id)


def report() -> None:
    counts = {"done": 0, "failed": 0, "timeout": 0, "killed": 0}
    for s in cli.sessions():
        st = s.get("status")
        if st in counts:
            counts[st] += 1
    print(", ".join(f"{k}={v}" for k, v in counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--follow", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    if args.follow:
        asyncio.run(follow())
        return
    while True:
        asyncio.run(reconcile(args.workers))
        sweep_disk()
        time.sleep(30)


if __name__ == "__main__":
    main()
