"""Observed state: rows of session_nodes in each agent's SQLite store, read-only."""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATE_DIR = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))

# A session in one of these has no run in flight.
AT_REST = ("done", "failed", "killed", "timeout")


@dataclass(frozen=True)
class Observed:
    session_key: str
    status: str | None
    aborted: bool
    acp_state: str | None
    entry: dict[str, Any]

    @property
    def at_rest(self) -> bool:
        return self.status in AT_REST


def _db(agent_id: str) -> Path:
    return STATE_DIR / "agents" / agent_id / "agent" / "openclaw-agent.sqlite"


def observe(agent_id: str, keys: list[str]) -> dict[str, Observed]:
    path = _db(agent_id)
    if not path.exists() or not keys:
        return {}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        marks = ",".join("?" for _ in keys)
        cur = conn.execute(
            f"SELECT session_key, status, entry_json FROM session_nodes WHERE session_key IN ({marks})", keys
        )
        found: dict[str, Observed] = {}
        for key, status, entry_json in cur:
            entry = json.loads(entry_json or "{}")
            found[key] = Observed(
                session_key=key,
                status=status or entry.get("status"),
                aborted=bool(entry.get("abortedLastRun")),
                acp_state=(entry.get("acp") or {}).get("state"),
                entry=entry,
            )
        return found
    finally:
        conn.close()


def count_at_rest(agent_id: str) -> dict[str, int]:
    """Rows per resting status, for the operator's metrics endpoint."""
    path = _db(agent_id)
    if not path.exists():
        return {}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        marks = ",".join("?" for _ in AT_REST)
        rows = conn.execute(
            f"SELECT status, COUNT(*) FROM session_nodes WHERE status IN ({marks}) GROUP BY status", AT_REST
        ).fetchall()
    finally:
        conn.close()
    return {status: n for status, n in rows}
