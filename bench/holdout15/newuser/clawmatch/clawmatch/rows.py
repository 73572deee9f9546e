"""Rows of `session_nodes` in agents/<agentId>/agent/openclaw-agent.sqlite."""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

STATE = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))


@dataclass(frozen=True)
class Row:
    agent: str
    key: str
    status: str | None
    aborted_last_run: bool
    updated_at: int
    label: str = ""


@dataclass(frozen=True)
class Heartbeat:
    key: str
    outcome: str


def _open(agent: str) -> sqlite3.Connection:
    db = STATE / "agents" / agent / "agent" / "openclaw-agent.sqlite"
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def agents() -> list[str]:
    root = STATE / "agents"
    return sorted(p.name for p in root.iterdir() if (p / "agent" / "openclaw-agent.sqlite").exists())


def _row(agent: str, r: sqlite3.Row) -> Row:
    entry = json.loads(r["entry_json"])
    return Row(
        agent=agent,
        key=r["session_key"],
        status=r["status"],
        aborted_last_run=bool(entry.get("abortedLastRun")),
        updated_at=r["updated_at"],
        label=entry.get("label") or "",
    )


def ended_badly(agent: str) -> list[Row]:
    with _open(agent) as conn:
        cur = conn.execute(
            "SELECT session_key, status, entry_json, updated_at FROM session_nodes WHERE status IN (?, ?, ?) ORDER BY updated_at DESC",
            ("failed", "killed", "timeout"),
        )
        return [_row(agent, r) for r in cur]


def all_rows(agent: str) -> list[Row]:
    with _open(agent) as conn:
        cur = conn.execute("SELECT session_key, status, entry_json, updated_at FROM session_nodes")
        return [_row(agent, r) for r in cur]


def count_finished(agent: str) -> int:
    with _open(agent) as conn:
        (n,) = conn.execute("SELECT count(*) FROM session_nodes WHERE status = ?", ("done",)).fetchone()
        return n


def heartbeats_done(agent: str) -> list[Heartbeat]:
    """Heartbeat outcomes the agent marked done (its own CHECK: progress, done, blocked, ...)."""
    with _open(agent) as conn:
        cur = conn.execute("SELECT session_key, outcome FROM heartbeat_outcomes WHERE outcome = ?", ("done",))
        return [Heartbeat(r["session_key"], r["outcome"]) for r in cur]
