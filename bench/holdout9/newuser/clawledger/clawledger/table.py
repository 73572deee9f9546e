"""The life cycle of a session as a transition table, and our tickets' own one.

A session's ``status`` describes its last run only, so the interesting thing
is the pair (status we had, status we see now): ``TRANSITIONS`` names it.
"""

from __future__ import annotations

from enum import Enum


class Change(str, Enum):
    STARTED = "started"
    FINISHED = "finished"
    CRASHED = "crashed"
    EXPIRED = "expired"
    STOPPED = "stopped"
    RERUN = "rerun"
    SAME = "same"
    ODD = "odd"  # a pair the table does not know; logged, never fatal


RUNNING = "running"
QUEUED = "queued"
ENDED = frozenset({"done", "failed", "timeout", "killed"})

TRANSITIONS: dict[tuple[str | None, str | None], Change] = {
    (None, RUNNING): Change.STARTED,
    (None, QUEUED): Change.STARTED,
    (QUEUED, RUNNING): Change.SAME,
    (RUNNING, RUNNING): Change.SAME,
    (RUNNING, "done"): Change.FINISHED,
    (RUNNING, "failed"): Change.CRASHED,
    (RUNNING, "timeout"): Change.EXPIRED,
    (RUNNING, "killed"): Change.STOPPED,
}
for _end in ENDED:
    TRANSITIONS[(_end, RUNNING)] = Change.RERUN
    TRANSITIONS[(_end, QUEUED)] = Change.RERUN
    TRANSITIONS[(_end, _end)] = Change.SAME
    # First sight of a session that had already ended before we started watching.
    TRANSITIONS.setdefault((None, _end), Change.SAME)
del _end

# How loudly each change is reported.
SEVERITY: dict[Change, str] = {
    Change.CRASHED: "page",
    Change.EXPIRED: "page",
    Change.STOPPED: "info",
    Change.ODD: "warn",
}


def change_of(before: str | None, now: str | None) -> Change:
    return TRANSITIONS.get((before, now), Change.ODD)


# Follow-up tickets are ours: opened on a page, closed by whoever handled it.
TICKET_FLOW: dict[tuple[str, str], str] = {
    ("open", "ack"): "acked",
    ("open", "resolve"): "done",
    ("acked", "resolve"): "done",
    ("open", "drop"): "dropped",
    ("acked", "drop"): "dropped",
}


def next_ticket_state(state: str, action: str) -> str:
    try:
        return TICKET_FLOW[(state, action)]
    except KeyError:
        raise ValueError(f"ticket cannot {action!r} from {state!r}") from None
