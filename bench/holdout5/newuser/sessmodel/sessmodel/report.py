"""Queries the board's pages run against the mirror."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from .models import SessionRow, SyncRun, SyncState

NEEDS_LOOK = ["failed", "timeout"]


def status_table(db: Session) -> dict[str, dict[str, int]]:
    rows = db.execute(select(SessionRow.agent_id, SessionRow.status, func.count()).group_by(SessionRow.agent_id, SessionRow.status))
    table: dict[str, dict[str, int]] = {}
    for agent_id, status, n in rows:
        table.setdefault(agent_id, {})[status or "none"] = n
    return table


def needs_attention(db: Session) -> Sequence[SessionRow]:
    stmt = (
        select(SessionRow)
        .where(SessionRow.status.in_(NEEDS_LOOK), SessionRow.acp_state.is_distinct_from("error"))
        .order_by(SessionRow.ended_at.desc())
    )
    return db.scalars(stmt).all()


def stopped_by_user(db: Session, agent_id: str) -> Sequence[SessionRow]:
    stmt = select(SessionRow).where(
        SessionRow.agent_id == agent_id, SessionRow.status == "killed", SessionRow.aborted_last_run.is_(True)
    )
    return db.scalars(stmt).all()


def timed_out_keys(db: Session) -> list[str]:
    rows = db.execute(text("SELECT key FROM oc_session WHERE status = :st ORDER BY ended_at DESC"), {"st": "timeout"})
    return [key for (key,) in rows]


def slowest_finished(db: Session, limit: int = 20) -> Sequence[SessionRow]:
    stmt = select(SessionRow).filter_by(status="done").order_by(SessionRow.runtime_ms.desc()).limit(limit)
    return db.scalars(stmt).all()


def last_refresh_failed(db: Session) -> bool:
    last = db.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(1)).first()
    return last is not None and last.state == "failed"


def refresh_history(db: Session) -> list[tuple[int, str]]:
    rows = db.execute(
        text("SELECT id, state FROM sync_run WHERE state IN (:ok, :bad) ORDER BY id DESC LIMIT 50"),
        {"ok": SyncState.DONE.value, "bad": "failed"},
    )
    return [(i, s) for i, s in rows]
