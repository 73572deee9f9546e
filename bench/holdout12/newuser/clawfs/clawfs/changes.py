"""What a change between two snapshots means."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .snapshot import Entry

Severity = Literal["info", "warn", "alert"]


@dataclass(frozen=True)
class Change:
    agent: str
    key: str
    before: str | None
    after: str | None
    severity: Severity
    text: str


def describe(before: Entry | None, after: Entry) -> tuple[Severity, str] | None:
    """A severity and a sentence for one session's change, None when nothing worth saying moved."""
    old = before.status if before else None
    match (old, after.status):
        case (a, b) if a == b:
            return None
        case (None, "running"):
            return "info", "started"
        case ("running", "done"):
            return "info", "finished"
        case ("running", "killed") | (_, "killed") if after.aborted:
            return "info", "stopped by a user"
        case ("running", "failed"):
            return "alert", "run failed"
        case ("running", "timeout"):
            return "warn", "run hit its time limit"
        case ("done" | "failed" | "timeout" | "killed", "running"):
            return "info", "running again"
        case (_, None):
            return "warn", "status cleared"
        case _:
            return "info", "now %s" % after.status


def diff(agent: str, old: dict[str, Entry], new: dict[str, Entry]) -> list[Change]:
    """Every described change of one agent, in key order."""
    out = []
    for key in sorted(new):
        said = describe(old.get(key), new[key])
        if said:
            out.append(Change(agent, key, old[key].status if key in old else None, new[key].status, *said))
    return out


def bad_outcomes(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """Subagent runs that newly ended in a timeout or an error."""
    return [rid for rid, status in new.items() if rid not in old and status in ("timeout", "error")]
