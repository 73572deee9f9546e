"""Read one agent's session statuses straight from its store, read-only."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    key: str
    status: str | None
    aborted: bool
    runtime_ms: int | None


def agent_dirs(state_dir: Path) -> list[Path]:
    return sorted(p for p in (state_dir / "agents").iterdir() if p.is_dir())


def _from_sqlite(db: Path) -> dict[str, Entry]:
    # mode=ro: the gateway owns the file; we never take a write lock on it.
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=2.0)
    try:
        rows = con.execute("SELECT session_key, status, entry_json FROM session_nodes").fetchall()
    finally:
        con.close()
    out = {}
    for key, status, entry_json in rows:
        entry = json.loads(entry_json)
        # The column is NULL for a status the CHECK does not allow; the JSON keeps it.
        out[key] = Entry(key, status or entry.get("status"), bool(entry.get("abortedLastRun")), entry.get("runtimeMs"))
    return out


def _from_json(path: Path) -> dict[str, Entry]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for key, e in data.items():
        status = e.get("status")
        if status is None and e.get("abortedLastRun") and e.get("endedAt"):
            # Some old entries carry only the abort flag and an end time: count them as stopped.
            status = "killed"
        out[key] = Entry(key, status, bool(e.get("abortedLastRun")), e.get("runtimeMs"))
    return out


def read_agent(agent_dir: Path) -> dict[str, Entry]:
    """The agent's sessions from ``openclaw-agent.sqlite``, else from a legacy ``sessions.json``."""
    db = agent_dir / "agent" / "openclaw-agent.sqlite"
    if db.exists():
        return _from_sqlite(db)
    legacy = agent_dir / "sessions" / "sessions.json"
    if legacy.exists():
        return _from_json(legacy)
    return {}


def subagent_outcomes(state_dir: Path) -> dict[str, str]:
    """runId -> outcome.status of every finished subagent run."""
    path = state_dir / "subagents" / "runs.json"
    if not path.exists():
        return {}
    runs = json.loads(path.read_text(encoding="utf-8")).get("runs", {})
    return {rid: r["outcome"]["status"] for rid, r in runs.items() if r.get("outcome")}
