"""The flows: a nightly check and a sweep that stops sessions stuck running."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.states import Completed, Failed, State

from clawprefect.settings import BROKEN, MAX_BROKEN, TASK_BAD, SessionStatus
from clawprefect.tasks import abort_session, list_background_tasks, list_sessions

DAY_MS = 24 * 3600 * 1000


def _ended_since(row: dict[str, Any], since_ms: int) -> bool:
    return (row.get("endedAt") or 0) >= since_ms


@flow(name="openclaw-nightly", log_prints=True)
def nightly(window_hours: int = 24, statuses: list[SessionStatus] = list(BROKEN)) -> State:
    """Count what ended in the last ``window_hours``; Failed when too many sessions broke."""
    log = get_run_logger()
    since = int(time.time() * 1000) - window_hours * 3600 * 1000
    rows = list_sessions(active_minutes=window_hours * 60)
    ended = [r for r in rows if r.get("status") not in (None, "running") and _ended_since(r, since)]
    by_status = Counter(r.get("status") for r in ended)
    broken = [r for r in ended if r.get("status") in statuses]

    tasks = list_background_tasks()
    bad_tasks = [t for t in tasks if t.get("status") in TASK_BAD]

    create_table_artifact(
        key="openclaw-sessions-by-status",
        table=[{"status": s, "sessions": n} for s, n in sorted(by_status.items())],
        description=f"Sessions that ended in the last {window_hours} h",
    )
    lines = [f"- `{r['key']}` ({r.get('status')})" for r in broken[:50]]
    if bad_tasks:
        lines.append(f"\n{len(bad_tasks)} background tasks did not finish well.")
    create_markdown_artifact(key="openclaw-broken", markdown="\n".join(lines) or "Nothing broke.")

    stopped = by_status.get("killed", 0)
    log.info("%d ended, %d broken, %d stopped by a user", len(ended), len(broken), stopped)
    if len(broken) > MAX_BROKEN:
        return Failed(message=f"{len(broken)} sessions ended badly (limit {MAX_BROKEN})")
    normally = by_status.get("done", 0)
    return Completed(message=f"{len(ended)} sessions ended, {normally} normally")


@flow(name="openclaw-stuck-sweep")
def sweep_stuck(max_running_hours: float = 6.0, dry_run: bool = True) -> list[str]:
    """Stop the sessions that have been running for longer than ``max_running_hours``."""
    log = get_run_logger()
    now = int(time.time() * 1000)
    limit = int(max_running_hours * 3600 * 1000)
    stuck = [
        r["key"]
        for r in list_sessions()
        if r.get("status") == SessionStatus.RUNNING and now - (r.get("startedAt") or now) > limit
    ]
    if dry_run:
        log.info("would stop %d sessions: %s", len(stuck), ", ".join(stuck))
        return stuck
    stopped = [key for key, ok in zip(stuck, abort_session.map(stuck).result()) if ok]
    log.info("stopped %d of %d stuck sessions", len(stopped), len(stuck))
    return stopped


@flow(name="openclaw-report")
def weekly_report(statuses: list[SessionStatus] = [SessionStatus.DONE, SessionStatus.FAILED]) -> dict[str, int]:
    """The counts of the last week for the given statuses (the deployment sets them)."""
    rows = list_sessions(active_minutes=7 * 24 * 60)
    since = int(time.time() * 1000) - 7 * DAY_MS
    counts = Counter(r.get("status") for r in rows if _ended_since(r, since))
    return {str(s): counts.get(s, 0) for s in statuses}


if __name__ == "__main__":
    nightly.serve(name="nightly", cron="15 3 * * *", parameters={"statuses": ["failed", "timeout", "killed"]})
