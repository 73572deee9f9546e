#!/usr/bin/env python3
"""Keep a history of OpenClaw sub-agent runs in SQLite and serve it as JSON.

Runs come from ``subagents/runs.json``; each one gets a display status
derived from its ``outcome``. Token counts fall back to the child session's
entry in ``agents/<id>/sessions/sessions.json`` when the run has none.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

ROOT = Path(os.environ.get("OPENCLAW_DIR", Path.home() / ".openclaw"))
DB = Path(os.environ.get("RUN_HISTORY_DB", ROOT / "subagents" / "run_history.db"))


def display_status(run: dict[str, Any]) -> tuple[str, str]:
    """(what the dashboard shows, the raw outcome status)."""
    outcome = run.get("outcome") or {}
    raw = outcome.get("status", "unknown")
    if raw in ("ok", "done"):
        return "done", raw
    if raw == "timeout":
        return "timeout", raw
    if raw == "error":
        return "failed", raw
    if run.get("endedAt") and not raw:
        return "done", raw
    if run.get("startedAt") and not run.get("endedAt"):
        return "running", raw
    return "unknown", raw


def agent_of(session_key: str) -> str:
    parts = (session_key or "").split(":")
    return parts[1] if len(parts) >= 2 else "unknown"


def session_tokens(session_key: str) -> int | None:
    store = ROOT / "agents" / agent_of(session_key) / "sessions" / "sessions.json"
    try:
        entry = json.loads(store.read_text(encoding="utf-8")).get(session_key) or {}
    except (OSError, ValueError):
        return None
    total = entry.get("totalTokens")
    return total if isinstance(total, int) and total >= 0 else None


def open_db() -> sqlite3.Connection:
    DB.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(DB)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS run_history (run_id TEXT PRIMARY KEY, label TEXT, agent_id TEXT,"
        " status TEXT, outcome_status TEXT, started_at INTEGER, ended_at INTEGER, total_tokens INTEGER,"
        " session_key TEXT, updated_at INTEGER)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS run_history_status ON run_history(status)")
    return conn


def sync() -> None:
    try:
        runs = json.loads((ROOT / "subagents" / "runs.json").read_text(encoding="utf-8")).get("runs", {})
    except (OSError, ValueError):
        return
    with open_db() as conn:
        for run_id, run in runs.items():
            shown, raw = display_status(run)
            key = run.get("childSessionKey", "")
            tokens = (run.get("usage") or {}).get("totalTokens") or session_tokens(key)
            conn.execute(
                "INSERT OR REPLACE INTO run_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, run.get("label", ""), agent_of(key), shown, raw, run.get("startedAt"),
                 run.get("endedAt"), tokens, key, int(time.time() * 1000)),
            )


def query(status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    sync()
    with open_db() as conn:
        conn.row_factory = sqlite3.Row
        sql, args = "SELECT * FROM run_history", []
        if status:
            sql, args = sql + " WHERE status = ?", [status]
        rows = conn.execute(sql + " ORDER BY started_at DESC LIMIT ?", [*args, limit]).fetchall()
    return [{**dict(r), "outcome": {"status": r["outcome_status"] or "unknown"}} for r in rows]


if __name__ == "__main__":
    print(json.dumps({"runs": query(limit=20)}, indent=2))
