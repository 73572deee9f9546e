"""Refresh the mirror from a state directory: ``sessions.json`` files or the SQLite store."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from .models import SessionRow, SyncRun, SyncState

Entry = tuple[str, str, dict[str, Any]]  # agent id, session key, entry


def json_entries(state_dir: Path) -> Iterator[Entry]:
    for store in sorted(state_dir.glob("agents/*/sessions/sessions.json")):
        agent_id = store.parent.parent.name
        for key, entry in json.loads(store.read_text(encoding="utf-8")).items():
            yield agent_id, key, entry


def sqlite_entries(state_dir: Path) -> Iterator[Entry]:
    for db in sorted(state_dir.glob("agents/*/agent/openclaw-agent.sqlite")):
        agent_id = db.parent.parent.name
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            for key, entry_json in con.execute("SELECT session_key, entry_json FROM session_nodes"):
                yield agent_id, key, json.loads(entry_json)
        finally:
            con.close()


def entries(state_dir: Path) -> Iterator[Entry]:
    if any(state_dir.glob("agents/*/agent/openclaw-agent.sqlite")):
        return sqlite_entries(state_dir)
    return json_entries(state_dir)


def refresh(db: Session, state_dir: Path) -> SyncRun:
    run = SyncRun(source=str(state_dir))
    db.add(run)
    db.flush()
    try:
        n = 0
        for agent_id, key, entry in entries(state_dir):
            row = db.get(SessionRow, key) or SessionRow(key=key, agent_id=agent_id)
            row.session_id = entry.get("sessionId")
            row.status = entry.get("status")
            row.aborted_last_run = bool(entry.get("abortedLastRun"))
            row.started_at = entry.get("startedAt")
            row.ended_at = entry.get("endedAt")
            row.runtime_ms = entry.get("runtimeMs")
            row.acp_state = (entry.get("acp") or {}).get("state")
            row.entry = entry
            row.last_sync = run
            db.add(row)
            n += 1
        run.rows = n
        run.state = SyncState.DONE
    except (OSError, ValueError, sqlite3.Error) as exc:
        db.rollback()
        run = SyncRun(source=str(state_dir), state=SyncState("failed"), error=str(exc))
        db.add(run)
    db.commit()
    return run


def close_vanished(db: Session, run: SyncRun) -> int:
    """Rows still running here that this refresh no longer saw: the gateway restarted and ended them."""
    result = db.execute(
        update(SessionRow)
        .where(SessionRow.status == "running", SessionRow.last_sync_id != run.id)
        .values(status="failed", aborted_last_run=False)
    )
    db.commit()
    return result.rowcount
