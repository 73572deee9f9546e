"""A typed view of the session rows the gateway returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Optional

SessionState = Literal["running", "done", "failed", "killed", "timeout"]


@dataclass
class SessionRow:
    key: str
    status: Optional[SessionState]
    aborted: bool = False
    runtime_ms: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "SessionRow":
        return cls(
            key=row["key"],
            status=row.get("status"),
            aborted=bool(row.get("abortedLastRun")),
            runtime_ms=int(row.get("runtimeMs") or 0),
        )

    @property
    def looks_dead(self) -> bool:
        return self.status in {"failed", "timeout"} or (self.aborted and self.status == "killed")

    @property
    def finished_well(self) -> bool:
        return self.status == "done"


def describe(row: SessionRow) -> str:
    if row.status is None:
        return f"{row.key}: never ran"
    if row.status != "running":
        return f"{row.key}: last run {row.status} after {row.runtime_ms / 1000:.0f}s"
    return f"{row.key}: running"
