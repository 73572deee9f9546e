"""ORM models of the mirror database (SQLAlchemy 2.0, typed mappings)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

# The status of a session's last run, as `openclaw sessions --json` reports it.
SessionStatus = Literal["running", "queued", "done", "failed", "killed", "timeout"]

# Statuses of a run that is over; the mirror keeps `ended_at` only for these.
ENDED: tuple[SessionStatus, ...] = ("done", "failed", "killed", "timeout")

# The mirror's own sync runs, nothing to do with OpenClaw.
SYNC_STATES = ("running", "done", "failed")


class Base(DeclarativeBase):
    pass


class SyncRun(Base):
    """One pass of `clawmirror sync`, kept for the audit trail."""

    __tablename__ = "sync_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    state: Mapped[str] = mapped_column(String(16), default="running")
    error: Mapped[str | None] = mapped_column(Text)
    seen: Mapped[int] = mapped_column(Integer, default=0)

    sessions: Mapped[list[SessionMirror]] = relationship(back_populates="last_sync")


class SessionMirror(Base):
    """A copy of one session row, refreshed by every sync."""

    __tablename__ = "session_mirror"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str | None] = mapped_column(String(32), index=True)
    aborted: Mapped[bool] = mapped_column(default=False)
    model: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    runtime_ms: Mapped[int | None] = mapped_column(Integer)
    last_sync_id: Mapped[int | None] = mapped_column(ForeignKey("sync_run.id"))

    last_sync: Mapped[SyncRun | None] = relationship(back_populates="sessions")

    @hybrid_property
    def ended_badly(self) -> bool:
        """The last run crashed or hit its time limit (a user stop is not bad)."""
        return self.status in ("failed", "timeout")

    @ended_badly.inplace.expression
    @classmethod
    def _ended_badly_expression(cls) -> ColumnElement[bool]:
        return cls.status.in_(("failed", "timeout"))

    @property
    def is_over(self) -> bool:
        return self.status in ENDED
