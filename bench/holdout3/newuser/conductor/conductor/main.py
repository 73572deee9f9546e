"""The conductor loop: python -m conductor.main"""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

from .gateway import Gateway
from .jobs import JobQueue, run_shell
from .policy import decide
from .sessions import Session
from .vocab import FINAL

log = logging.getLogger("conductor")
STATE = Path(os.environ.get("OPENCLAW_STATE_DIR") or Path.home() / ".openclaw")


def load_sessions(gw: Gateway) -> list[Session]:
    return [Session.from_row(r) for r in gw.sessions()]


def retry(gw: Gateway, s: Session) -> bool:
    reply = gw.send(s.key, "Your last run did not finish. Please pick up where you left off.", wait=60)
    status = reply.get("status")
    if status == "timeout":
        log.info("%s: nudged, no answer within 60 s (it keeps running)", s.key)
        return True
    if status in ("ok", "accepted", "no_reply"):
        return True
    log.warning("%s: nudge refused (%s)", s.key, status)
    return False


def fan_out(gw: Gateway, tasks: list[str]) -> dict[str, str | None]:
    ids = []
    for i, task in enumerate(tasks):
        res = gw.spawn(task, label=f"fan-{i}")
        if res.get("status") == "accepted":
            ids.append(res["runId"])
        else:
            log.warning("spawn refused: %s", res.get("status"))
    results: dict[str, str | None] = {}
    while ids:
        waited = gw.wait_children(ids)
        for child in waited.get("completed", []):
            ids.remove(child["runId"])
            if child["status"] in FINAL:
                results[child["runId"]] = child.get("result") if child["status"] == "done" else None
            if child["status"] == "timeout":
                log.warning("child %s ran out of time", child["runId"])
        if ids:
            time.sleep(2)
    return results


def last_cron_run(job_id: str) -> dict | None:
    path = STATE / "cron" / "runs" / f"{job_id}.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return json.loads(lines[-1]) if lines else None


def tick(gw: Gateway, queue: JobQueue) -> None:
    for s in load_sessions(gw):
        action = decide(s)
        if action == "retry" and not retry(gw, s):
            queue.push("page", s.key)
        elif action == "collect" and not s.finished:
            log.error("%s: collect on an unfinished session?", s.key)
        if s.status == "killed" and not s.aborted:
            log.warning("%s: killed, but not by a user", s.key)
    nightly = last_cron_run("nightly-digest")
    if nightly and nightly.get("status") == "error":
        queue.push("page", "cron nightly-digest")
    job = queue.next()
    if job:
        result = run_shell(job) if job.kind == "shell" else {"status": "done"}
        queue.finish(job, result["status"] == "done")
        if result["status"] == "timeout":
            log.warning("job %s ran out of time", job.id)
    queue.requeue_failed()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    gw, q = Gateway(), JobQueue()
    while True:
        tick(gw, q)
        time.sleep(30)
