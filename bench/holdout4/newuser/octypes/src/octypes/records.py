"""Frozen records built from the wire shapes."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Self, cast

import attrs

from .wire import AgentsWaitItem, ChildStatus, SendStatus, SessionRow, SessionStatus, SpawnStatus

TERMINAL: frozenset[SessionStatus] = frozenset({"done", "failed", "killed", "timeout"})


def _when(ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc) if ms else None


@dataclasses.dataclass(frozen=True, slots=True)
class Session:
    key: str
    session_id: str
    status: SessionStatus | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    aborted: bool = False
    acp_state: str | None = None

    @classmethod
    def from_row(cls, row: SessionRow) -> Self:
        return cls(
            key=row["key"],
            session_id=row["sessionId"],
            status=row.get("status"),
            started_at=_when(row.get("startedAt")),
            ended_at=_when(row.get("endedAt")),
            aborted=bool(row.get("abortedLastRun")),
            acp_state=(row.get("acp") or {}).get("state"),
        )

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    @property
    def ended_badly(self) -> bool:
        return self.status in ("failed", "timeout") or (self.status == "killed" and not self.aborted)

    @property
    def acp_busy(self) -> bool:
        return self.acp_state == "running"

    def stopped(self) -> Self:
        """The record as it will read once an abort went through."""
        return dataclasses.replace(self, status="killed", aborted=True, ended_at=datetime.now(timezone.utc))


@attrs.frozen
class SendResult:
    status: SendStatus
    run_id: str | None = None
    reply: str | None = None
    error: str | None = None

    @classmethod
    def from_payload(cls, payload: dict[str, object]) -> SendResult:
        return cls(
            status=cast(SendStatus, payload.get("status", "error")),
            run_id=cast("str | None", payload.get("runId")),
            reply=cast("str | None", payload.get("reply")),
            error=cast("str | None", payload.get("error")),
        )

    @property
    def waiting_elapsed(self) -> bool:
        return self.status == "timeout"


@attrs.frozen
class SpawnResult:
    status: SpawnStatus
    run_id: str | None = None
    child_key: str | None = None


@attrs.frozen
class ChildRun:
    run_id: str
    status: ChildStatus
    result: str
    session_key: str
    error: str | None = None

    @classmethod
    def from_item(cls, item: AgentsWaitItem) -> ChildRun:
        return cls(item["runId"], item["status"], item["result"], item["sessionKey"], item.get("error"))

    @property
    def succeeded(self) -> bool:
        return self.status == "done"

    @property
    def hit_time_limit(self) -> bool:
        return self.status == "timeout"
