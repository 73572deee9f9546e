"""Session rows as objects."""
from __future__ import annotations

import attrs

from .vocab import FINAL, RunStatus, SessionRowDict


@attrs.define
class Session:
    key: str
    status: RunStatus | None
    aborted: bool = False
    ended_at: int | None = None
    acp_state: str | None = None

    @classmethod
    def from_row(cls, row: SessionRowDict) -> Session:
        raw = row.get("status")
        return cls(
            key=row["key"],
            status=RunStatus(raw) if raw else None,
            aborted=bool(row.get("abortedLastRun")),
            ended_at=row.get("endedAt"),
            acp_state=(row.get("acp") or {}).get("state"),
        )

    @property
    def finished(self) -> bool:
        return self.status in FINAL

    def stopped(self) -> Session:
        """The row as it will read once our abort has landed."""
        return attrs.evolve(self, status=RunStatus("killed"), aborted=True)
