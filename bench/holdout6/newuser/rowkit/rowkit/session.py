"""A session record, built from a ``sessions_list`` / ``sessions.json`` row."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import singledispatch
from typing import Any

from .vocab import SESSION, SessionStatus


@dataclass(frozen=True, slots=True)
class Session:
    key: str
    agent_id: str
    status: SessionStatus | None = None
    aborted_last_run: bool = False
    updated_at: int | None = None
    last_error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_row(cls, row: dict[str, Any], agent_id: str | None = None) -> Session:
        raw = row.get("status")
        known = {"key", "agentId", "status", "abortedLastRun", "updatedAt", "lastRunError"}
        return cls(
            key=row["key"],
            agent_id=agent_id or row.get("agentId") or row["key"].split(":")[1],
            status=SESSION.check(raw) if raw is not None else None,
            aborted_last_run=bool(row.get("abortedLastRun")),
            updated_at=row.get("updatedAt"),
            last_error=row.get("lastRunError"),
            extra={k: v for k, v in row.items() if k not in known},
        )

    @property
    def ended(self) -> bool:
        return SESSION.is_final(self.status)

    def stopped(self) -> Session:
        """The record as it reads once an operator has stopped its run."""
        return replace(self, status="killed", aborted_last_run=True)


@singledispatch
def headline(record: object) -> str:
    raise TypeError(f"no headline for {type(record).__name__}")


@headline.register
def _(record: Session) -> str:
    match record.status:
        case "queued" | "running":
            return f"{record.key} is working"
        case "done":
            return f"{record.key} answered"
        case "failed" | "timeout":
            why = record.last_error or "time limit"
            return f"{record.key} did not finish ({why})"
        case "killed":
            return f"{record.key} was stopped"
        case _:
            return f"{record.key} has not run"
