"""Waiting until a session settles, and until spawned runs finish."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed, wait_incrementing

from .calls import CallError, find_session, wait_runs

log = logging.getLogger(__name__)

STILL_GOING = ("running", "queued")
# Settled, but not the way we wanted: callers may start the session again.
RESTART_ON = frozenset({"failed", "timeout"})


@dataclass
class Settled:
    key: str
    status: str | None
    row: dict[str, Any] | None
    gave_up: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "done"

    @property
    def restartable(self) -> bool:
        return self.status in RESTART_ON and not (self.row or {}).get("abortedLastRun")


def _going(row: dict[str, Any] | None) -> bool:
    return row is not None and row.get("status") in STILL_GOING


def wait_settled(key: str, within: float = 900.0) -> Settled:
    """Poll the session's row until its status says the run stopped, or ``within`` seconds pass."""
    retrying = Retrying(
        retry=retry_if_result(_going),
        wait=wait_incrementing(start=2, increment=2, max=30),
        stop=stop_after_delay(within),
    )
    try:
        row = retrying(find_session, key)
    except RetryError as exc:
        last = exc.last_attempt.result()
        return Settled(key, last.get("status") if last else None, last, gave_up=True)
    if row is None:
        return Settled(key, None, None)
    if row.get("status") == "killed":
        log.info("%s was stopped (by a user: %s)", key, bool(row.get("abortedLastRun")))
    return Settled(key, row.get("status"), row)


@dataclass
class Children:
    finished: list[str]
    broken: dict[str, str]
    pending: list[str]


def wait_children(run_ids: list[str], rounds: int = 20, per_round_s: int = 30) -> Children:
    """Wait for spawned runs with agents_wait, round after round, keeping what each round settled."""
    finished: list[str] = []
    broken: dict[str, str] = {}
    pending = list(run_ids)

    def _round() -> list[str]:
        nonlocal pending
        result = wait_runs(pending[:1000], per_round_s)
        for child in result.get("completed", []):
            # Run-level statuses of the children, not session statuses.
            if child.get("status") == "done":
                finished.append(child["runId"])
            else:
                broken[child["runId"]] = child.get("status", "?")
        for err in result.get("errors") or []:
            broken[err["runId"]] = "error"
        pending = [rid for rid in pending if rid not in finished and rid not in broken]
        return pending

    retrying = Retrying(retry=retry_if_result(bool), stop=lambda rs: rs.attempt_number >= rounds,
                        wait=wait_fixed(1), retry_error_callback=lambda rs: rs.outcome.result())
    try:
        retrying(_round)
    except CallError as exc:
        log.error("agents_wait: %s", exc.reason)
        if exc.reason == "timeout":
            log.error("the gateway did not answer agents_wait; %d runs unknown", len(pending))
    timed_out = [rid for rid, st in broken.items() if st == "timeout"]
    if timed_out:
        log.warning("%d child runs hit their time limit", len(timed_out))
    return Children(finished, broken, pending)
