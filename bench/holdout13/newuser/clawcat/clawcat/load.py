"""Entries from each agent's SQLite store (read-only), or from a legacy sessions.json."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from .model import Entry, converter

# Worth a second look in the morning.
TROUBLE = ("failed", "timeout")


def _connect(db: Path) -> sqlite3.Connection:
    return sqlite3.connect("file:%s?mode=ro" % db, uri=True)


def entries(state_dir: Path) -> Iterator[tuple[str, Entry]]:
    """(agent id, entry) for every session of every agent."""
    for agent_dir in sorted((state_dir / "agents").iterdir()):
        db = agent_dir / "agent" / "openclaw-agent.sqlite"
        legacy = agent_dir / "sessions" / "sessions.json"
        if db.exists():
            with _connect(db) as conn:
                for key, text in conn.execute("SELECT session_key, entry_json FROM session_nodes"):
                    yield agent_dir.name, converter.structure({"key": key, **json.loads(text)}, Entry)
        elif legacy.exists():
            for key, raw in json.loads(legacy.read_text(encoding="utf-8")).items():
                yield agent_dir.name, converter.structure({"key": key, **raw}, Entry)


def troubled(db: Path) -> list[Entry]:
    """Entries of one store whose last run went wrong, through the indexed status column."""
    marks = ", ".join("?" for _ in TROUBLE)
    sql = "SELECT session_key, entry_json FROM session_nodes WHERE status IN (%s)" % marks
    with _connect(db) as conn:
        return [converter.structure({"key": key, **json.loads(text)}, Entry) for key, text in conn.execute(sql, TROUBLE)]


def finished_heartbeats(db: Path) -> list[str]:
    """Sessions whose last heartbeat said the work is finished."""
    with _connect(db) as conn:
        rows = conn.execute("SELECT session_key FROM heartbeat_outcomes WHERE outcome = ?", ("done",))
        return [key for (key,) in rows]
