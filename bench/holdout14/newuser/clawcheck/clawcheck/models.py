"""Typed rows: what the gateway lists, what sub-agent runs record, what CI reports."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

SessionStatus = Literal["running", "done", "failed", "killed", "timeout"]
RunOutcome = Literal["ok", "error", "timeout", "unknown"]
Verdict = Literal["passed", "failed", "skipped"]


class Row(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    key: str
    session_id: str | None = Field(None, alias="sessionId")
    status: SessionStatus | None = None
    aborted_last_run: bool = Field(False, alias="abortedLastRun")
    started_at: int | None = Field(None, alias="startedAt")
    ended_at: int | None = Field(None, alias="endedAt")
    runtime_ms: int | None = Field(None, alias="runtimeMs")
    label: str | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _tidy_status(cls, v: object) -> object:
        if not isinstance(v, str):
            return None
        v = v.strip().lower()
        return v if v in ("running", "done", "failed", "killed", "timeout") else None

    @property
    def ended_badly(self) -> bool:
        return self.status in ("failed", "timeout")


class Outcome(BaseModel):
    status: RunOutcome = "unknown"
    error: str | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _known(cls, v: object) -> object:
        return v if v in ("ok", "error", "timeout") else "unknown"


class SubagentRun(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    run_id: str = Field(alias="runId")
    child_session_key: str | None = Field(None, alias="childSessionKey")
    outcome: Outcome = Outcome()
    ended_reason: str | None = Field(None, alias="endedReason")


class Check(BaseModel):
    name: str
    verdict: Verdict
    detail: str = ""


ROWS = TypeAdapter(list[Row])
RUNS = TypeAdapter(list[SubagentRun])
