"""Projections: fold the log into one view per session and one per ticket."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Iterable

from .events import Event, Kind
from .table import ENDED, SEVERITY, Change, change_of, next_ticket_state


@dataclass(frozen=True)
class SessionView:
    key: str
    status: str | None = None
    runs: int = 0
    crashes: int = 0
    last_change: Change = Change.SAME
    abort_pending: bool = False
    gone: bool = False
    last_outcome: str | None = None  # of its subagent run, if it is a child


@dataclass(frozen=True)
class Ticket:
    key: str
    state: str = "open"
    reason: str = ""


def apply(view: SessionView, event: Event) -> SessionView:
    match event.kind:
        case Kind.OBSERVED:
            change = change_of(view.status, event.status)
            runs = view.runs + (change in (Change.STARTED, Change.RERUN))
            crashes = view.crashes + (change is Change.CRASHED)
            pending = view.abort_pending and event.status != "killed"
            return replace(
                view, status=event.status, runs=runs, crashes=crashes,
                last_change=change, abort_pending=pending, gone=False,
            )
        case Kind.ABORT_REQUESTED:
            return replace(view, abort_pending=True)
        case Kind.VANISHED:
            # Archived right after we asked to stop it: count it as stopped,
            # the gateway will not tell us any more.
            if view.abort_pending and view.status not in ENDED:
                return replace(view, status="killed", last_change=Change.STOPPED, gone=True)
            return replace(view, gone=True)
        case Kind.RUN_ENDED:
            return replace(view, last_outcome=event.status)
        case _:
            return view


def sessions(events: Iterable[Event]) -> dict[str, SessionView]:
    views: dict[str, SessionView] = {}
    for event in events:
        if event.kind is Kind.TICKET:
            continue
        views[event.key] = apply(views.get(event.key) or SessionView(event.key), event)
    return views


def tickets(events: Iterable[Event]) -> dict[str, Ticket]:
    out: dict[str, Ticket] = {}
    for event in events:
        if event.kind is not Kind.TICKET:
            continue
        action = event.data["action"]
        if action == "open":
            out[event.key] = Ticket(event.key, reason=event.data.get("reason", ""))
        elif event.key in out:
            t = out[event.key]
            out[event.key] = replace(t, state=next_ticket_state(t.state, action))
    return out


def needs_ticket(view: SessionView, open_tickets: dict[str, Ticket]) -> str | None:
    """The reason to open a ticket for this session now, or None."""
    if view.key in open_tickets and open_tickets[view.key].state not in ("done", "dropped"):
        return None
    if SEVERITY.get(view.last_change) == "page":
        return f"{view.last_change.value} (run {view.runs})"
    if view.crashes >= 3:
        return f"crashed {view.crashes} times"
    # A child whose run timed out while its session still says it is running.
    if view.last_outcome == "timeout" and view.status not in ENDED:
        return "child run timed out"
    return None


def summary(views: dict[str, SessionView]) -> dict[str, int]:
    by_status = Counter(v.status or "none" for v in views.values() if not v.gone)
    return {
        "live": by_status["running"] + by_status["queued"],
        "settled": sum(n for s, n in by_status.items() if s in ENDED),
        "bad": by_status["failed"] + by_status["timeout"],
        "stopped": by_status["killed"],
        "open_aborts": sum(v.abort_pending for v in views.values()),
    }
