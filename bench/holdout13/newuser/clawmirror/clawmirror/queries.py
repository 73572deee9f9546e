"""Questions asked of the mirror by the nightly report and the audit page."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from .models import ENDED, SessionMirror, SyncRun

# Worst first: how the audit page orders the sessions that ended.
SEVERITY = case(
    {"failed": 0, "timeout": 1, "killed": 2},
    value=SessionMirror.status,
    else_=3,
)

# The fields of the nightly report file, one count per status; the team's
# status page reads this file by these names.
REPORT_KEYS = ("done", "failed", "killed", "timeout")


def by_status(db: Session, *statuses: str) -> Sequence[SessionMirror]:
    stmt = select(SessionMirror).where(SessionMirror.status.in_(statuses)).order_by(SessionMirror.key)
    return db.scalars(stmt).all()


def ended_counts(db: Session) -> dict[str, int]:
    stmt = (
        select(SessionMirror.status, func.count())
        .where(SessionMirror.status.in_(ENDED))
        .group_by(SessionMirror.status)
    )
    return {status: n for status, n in db.execute(stmt) if status is not None}


def needs_attention(db: Session, agent_id: str | None = None) -> Sequence[SessionMirror]:
    stmt = select(SessionMirror).where(SessionMirror.ended_badly, SessionMirror.aborted.is_(False))
    if agent_id:
        stmt = stmt.where(SessionMirror.agent_id == agent_id)
    return db.scalars(stmt.order_by(SEVERITY, SessionMirror.ended_at.desc())).all()


def stopped_by_hand(db: Session) -> Sequence[SessionMirror]:
    stmt = select(SessionMirror).where(SessionMirror.status == "killed", SessionMirror.aborted.is_(True))
    return db.scalars(stmt).all()


def still_running(db: Session) -> int:
    stmt = select(func.count()).select_from(SessionMirror).where(SessionMirror.status == "running")
    return int(db.scalar(stmt) or 0)


def broken_syncs(db: Session, limit: int = 20) -> Sequence[SyncRun]:
    stmt = select(SyncRun).where(SyncRun.state == "failed").order_by(SyncRun.started.desc()).limit(limit)
    return db.scalars(stmt).all()


def write_report(db: Session, out: Path) -> dict[str, int]:
    counts = ended_counts(db)
    report = {name: counts.get(name, 0) for name in REPORT_KEYS}
    report["running"] = still_running(db)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
