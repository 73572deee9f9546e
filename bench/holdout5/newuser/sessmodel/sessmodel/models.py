from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class SyncState(enum.StrEnum):
    """How one refresh of the mirror went."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class SyncRun(Base):
    __tablename__ = "sync_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started: Mapped[datetime] = mapped_column(server_default=func.now())
    source: Mapped[str] = mapped_column(String(400))
    state: Mapped[SyncState] = mapped_column(
        Enum(SyncState, native_enum=False, length=12, values_callable=lambda e: [m.value for m in e]),
        default=SyncState.RUNNING,
    )
    rows: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None]

    sessions: Mapped[list[SessionRow]] = relationship(back_populates="last_sync")


class SessionRow(Base):
    """One entry of an agent's session store, as last seen."""

    __tablename__ = "oc_session"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), index=True)
    session_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(16), index=True)
    aborted_last_run: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[int | None]
    ended_at: Mapped[int | None]
    runtime_ms: Mapped[int | None]
    acp_state: Mapped[str | None] = mapped_column(String(16))
    entry: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_sync_id: Mapped[int] = mapped_column(ForeignKey("sync_run.id"))

    last_sync: Mapped[SyncRun] = relationship(back_populates="sessions")

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "killed", "timeout")

    @property
    def stopped_by_user(self) -> bool:
        return self.status == "killed" and self.aborted_last_run
