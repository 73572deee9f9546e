"""Response models of the API (pydantic v2)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# What a gateway session row says about its last run.
SessionStatus = Literal["running", "queued", "done", "failed", "killed", "timeout"]

# Our own CSV export jobs, kept in memory by the export routes.
ExportState = Literal["pending", "running", "done", "failed"]

# outcome.status of a run in subagents/runs.json.
RunOutcome = Literal["ok", "error", "timeout", "unknown"]


def _from_ms(value: int | float | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc)


class SessionOut(BaseModel):
    """One row of ``sessions_list``, trimmed to what the page shows."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    key: str
    agent_id: str | None = Field(default=None, alias="agentId")
    label: str | None = None
    model: str | None = None
    status: SessionStatus | None = None
    aborted_last_run: bool = Field(default=False, alias="abortedLastRun")
    started_at: datetime | None = Field(default=None, alias="startedAt")
    ended_at: datetime | None = Field(default=None, alias="endedAt")
    runtime_ms: int | None = Field(default=None, alias="runtimeMs")

    @field_validator("started_at", "ended_at", mode="before")
    @classmethod
    def _epoch_ms(cls, value: object) -> object:
        return _from_ms(value) if isinstance(value, (int, float)) else value


class SessionPage(BaseModel):
    count: int
    sessions: list[SessionOut]


class Problem(BaseModel):
    key: str
    status: SessionStatus
    why: str


class RunOut(BaseModel):
    run_id: str
    child_session_key: str | None = None
    outcome: RunOutcome | None = None
    ended_reason: str | None = None


class ExportJob(BaseModel):
    id: str
    state: ExportState = "pending"
    rows: int = 0
    error: str | None = None
