"""Reads the sessions an eval run left in the runner's state directory (read-only)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def _db(state: Path, agent: str) -> Path:
    return state / "agents" / agent / "agent" / "openclaw-agent.sqlite"


def agents(state: Path) -> list[str]:
    return sorted(p.parent.parent.name for p in state.glob("agents/*/agent/openclaw-agent.sqlite"))


def sessions_with_status(state: Path, agent: str, statuses: Iterable[str], since_ms: int = 0) -> list[dict[str, Any]]:
    """Entries of one agent whose status is one of ``statuses``, updated since ``since_ms``."""
    wanted = list(statuses)
    if not wanted:
        return []
    marks = ",".join("?" * len(wanted))
    con = sqlite3.connect(f"file:{_db(state, agent)}?mode=ro", uri=True)
    try:
        cur = con.execute(
            f"SELECT session_key, entry_json FROM session_nodes WHERE status IN ({marks}) AND updated_at >= ?",
            (*wanted, since_ms),
        )
        return [{"key": key, **json.loads(entry)} for key, entry in cur]
    finally:
        con.close()


def count_all(state: Path, agent: str, since_ms: int = 0) -> int:
    con = sqlite3.connect(f"file:{_db(state, agent)}?mode=ro", uri=True)
    try:
        (n,) = con.execute("SELECT count(*) FROM session_nodes WHERE updated_at >= ?", (since_ms,)).fetchone()
        return int(n)
    finally:
        con.close()


def still_running(state: Path, agent: str) -> int:
    con = sqlite3.connect(f"file:{_db(state, agent)}?mode=ro", uri=True)
    try:
        (n,) = con.execute("SELECT count(*) FROM session_nodes WHERE status = ?", ("running",)).fetchone()
        return int(n)
    finally:
        con.close()
