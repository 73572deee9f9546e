"""Small queries over decoded records, shared by the team's scripts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .records import Session, SubagentRun, Task

# Shown by default in listings; finished sessions are the bulk of any store.
HIDDEN_BY_DEFAULT = ("done",)


def by_status(found: Iterable[Session], *statuses: str, exclude: Iterable[str] = ()) -> list[Session]:
    wanted, skip = set(statuses), set(exclude)
    return [s for s in found if (not wanted or s.status in wanted) and s.status not in skip]


def listing(found: Iterable[Session], show_all: bool = False) -> list[Session]:
    return by_status(found, exclude=() if show_all else HIDDEN_BY_DEFAULT)


def errored(found: Iterable[Session]) -> list[Session]:
    return by_status(found, "failed")


def children_of(found: Iterable[Session], parent_key: str) -> list[Session]:
    return [s for s in found if s.spawned_by == parent_key]


def run_summary(found: Iterable[SubagentRun]) -> dict[str, int]:
    counts = Counter(r.outcome.status if r.outcome else "unknown" for r in found)
    return {"ok": counts["ok"], "error": counts["error"], "timeout": counts["timeout"]}


def task_failures(tasks: Iterable[Task]) -> Counter[str]:
    return Counter(t.status for t in tasks if t.bad)


def orphans(sessions: Iterable[Session], runs: Iterable[SubagentRun]) -> list[SubagentRun]:
    """Runs whose child session ended badly while the run itself reports a time-out."""
    by_key = {s.key: s for s in sessions}
    out = []
    for run in runs:
        child = by_key.get(run.child_session_key or "")
        if child is not None and child.ended_badly and run.timed_out:
            out.append(run)
    return out
