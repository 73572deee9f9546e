"""Reads entries from each agent's store: the SQLite database, else sessions.json."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Iterator

from .records import Entry, StandingIntent

STATE = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))
TROUBLE = ("failed", "timeout", "killed")


def _db(agent_dir: Path) -> Path:
    return agent_dir / "agent" / "openclaw-agent.sqlite"


def _legacy(agent_dir: Path) -> Path:
    return agent_dir / "sessions" / "sessions.json"


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def entries(agent_id: str) -> Iterator[Entry]:
    agent_dir = STATE / "agents" / agent_id
    db = _db(agent_dir)
    if db.exists():
        con = _connect(db)
        try:
            for key, text in con.execute("SELECT session_key, entry_json FROM session_nodes"):
                yield Entry.from_json(key, json.loads(text))
        finally:
            con.close()
        return
    legacy = _legacy(agent_dir)
    if legacy.exists():
        for key, raw in json.loads(legacy.read_text()).items():
            if isinstance(raw, dict):
                yield Entry.from_json(key, raw)


def troubled_keys(agent_id: str) -> list[str]:
    """Keys of sessions whose last run went wrong, straight from the status column."""
    db = _db(STATE / "agents" / agent_id)
    if not db.exists():
        return [e.key for e in entries(agent_id) if e.status in TROUBLE]
    con = _connect(db)
    try:
        rows = con.execute(
            "SELECT session_key FROM session_nodes WHERE status IN (?, ?, ?) ORDER BY updated_at DESC",
            TROUBLE,
        ).fetchall()
    finally:
        con.close()
    return [k for (k,) in rows]


def open_intents(agent_id: str) -> list[StandingIntent]:
    db = _db(STATE / "agents" / agent_id)
    if not db.exists():
        return []
    con = _connect(db)
    try:
        rows = con.execute(
            "SELECT id, status, description FROM standing_intents WHERE status != ?",
            ("done",),
        ).fetchall()
    finally:
        con.close()
    return [StandingIntent(*r) for r in rows]


def agents() -> list[str]:
    root = STATE / "agents"
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.exists() else []
