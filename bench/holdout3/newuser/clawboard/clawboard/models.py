"""Pydantic models for what the board shows."""
from datetime import datetime, timezone
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

# what OpenClaw puts in a session row's "status" (2026.9 also has "queued")
RunStatus = Literal["running", "queued", "done", "failed", "killed", "timeout"]

BADGES = {
    "running": "blue",
    "queued": "blue",
    "done": "green",
    "failed": "red",
    "timeout": "orange",
    "killed": "purple",
}


class Session(BaseModel):
    """One row of sessions.list, or the `session` of a sessions.changed event."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    key: str
    label: Optional[str] = None
    status: Optional[RunStatus] = None
    started_at: Optional[int] = Field(None, alias="startedAt")
    ended_at: Optional[int] = Field(None, alias="endedAt")
    runtime_ms: Optional[int] = Field(None, alias="runtimeMs")
    aborted: bool = Field(False, alias="abortedLastRun")

    @property
    def badge(self) -> str:
        return BADGES.get(self.status or "", "grey")

    @property
    def needs_attention(self) -> bool:
        return self.status in ("failed", "timeout")

    def ended(self) -> Optional[datetime]:
        if self.ended_at is None:
            return None
        return datetime.fromtimestamp(self.ended_at / 1000, tz=timezone.utc)


class RefreshState(BaseModel):
    """How the board's last full reload went (shown in the footer)."""

    status: Literal["idle", "running", "done", "failed"] = "idle"
    error: Optional[str] = None
    at: Optional[datetime] = None
