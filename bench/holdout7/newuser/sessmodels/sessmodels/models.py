"""pydantic v2 models of what the gateway's tools answer."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

SessionStatus = Literal["queued", "running", "done", "failed", "killed", "timeout"]
# agents_wait reports each child run on its own terms, not the child session's row.
ChildStatus = Literal["done", "failed", "killed", "timeout"]

ENDED_BADLY: frozenset[str] = frozenset({"failed", "timeout", "killed"})


class SessionRow(BaseModel):
    """One row of a ``sessions_list`` result."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    key: str
    session_id: Optional[str] = Field(default=None, alias="sessionId")
    agent_id: Optional[str] = Field(default=None, alias="agentId")
    status: Optional[SessionStatus] = None
    started_at: Optional[int] = Field(default=None, alias="startedAt")
    ended_at: Optional[int] = Field(default=None, alias="endedAt")
    runtime_ms: Optional[int] = Field(default=None, alias="runtimeMs")
    aborted_last_run: bool = Field(default=False, alias="abortedLastRun")
    model: Optional[str] = None

    @field_validator("status", mode="before")
    @classmethod
    def _tidy_status(cls, value: Any) -> Any:
        # Rows written by hand into sessions.json sometimes say "Failed " or "".
        if isinstance(value, str):
            value = value.strip().lower()
            return value or None
        return value

    @model_validator(mode="after")
    def _aborted_means_killed(self) -> "SessionRow":
        # An aborted run with no status left is one the user stopped.
        if self.aborted_last_run and self.status is None:
            self.status = "killed"
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ended_badly(self) -> bool:
        return self.status in ENDED_BADLY

    @property
    def finished(self) -> bool:
        return self.status not in (None, "queued", "running")


class SessionsPage(BaseModel):
    """The ``sessions_list`` payload: ``{count, sessions, hasMore, ...}``."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    count: int = 0
    sessions: list[SessionRow] = []
    has_more: bool = Field(default=False, alias="hasMore")
    next_offset: Optional[int] = Field(default=None, alias="nextOffset")


class ChildRun(BaseModel):
    """One entry of ``agents_wait``'s ``completed`` list."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    run_id: str = Field(alias="runId")
    status: ChildStatus
    session_key: Optional[str] = Field(default=None, alias="sessionKey")
    error: Optional[str] = None

    @property
    def needs_retry(self) -> bool:
        return self.status in ("failed", "timeout")


class WaitResult(BaseModel):
    """``agents_wait``: ``{completed, pending, errors}``."""

    completed: list[ChildRun] = []
    pending: list[str] = []
    errors: list[dict[str, Any]] = []
