"""Questions asked of the ``sessions`` and ``heartbeats`` views."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

# The statuses of a run that ended without the agent answering.
ENDED_BADLY: tuple[str, ...] = ("failed", "timeout")
# Every status a finished run can leave on the row.
FINISHED: tuple[str, ...] = ("done", "failed", "killed", "timeout")


def count_by_status(con: duckdb.DuckDBPyConnection, agent_id: str | None = None) -> dict[str, int]:
    """Unarchived sessions by status (``None`` for rows without one)."""
    sql = "SELECT status, count(*) FROM sessions WHERE archived_at IS NULL"
    params: list[Any] = []
    if agent_id:
        sql += " AND agent_id = ?"
        params.append(agent_id)
    rows = con.execute(sql + " GROUP BY status ORDER BY status", params).fetchall()
    return {status: n for status, n in rows}


def sessions_in(con: duckdb.DuckDBPyConnection, statuses: Sequence[str], since_ms: int = 0) -> list[tuple[Any, ...]]:
    """``(agent_id, session_key, status, updated_at)`` of sessions in ``statuses``."""
    return con.execute(
        "SELECT agent_id, session_key, status, updated_at FROM sessions "
        "WHERE list_contains(?, status) AND updated_at >= ? ORDER BY updated_at DESC",
        [list(statuses), since_ms],
    ).fetchall()


def ended_badly(con: duckdb.DuckDBPyConnection, since_ms: int = 0) -> list[tuple[Any, ...]]:
    return sessions_in(con, ENDED_BADLY, since_ms)


def finished_share(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """The share of each finished status among finished sessions, per agent."""
    rows = con.execute(
        "SELECT agent_id, avg(CASE WHEN status = ? THEN 1.0 ELSE 0.0 END) FROM sessions "
        "WHERE list_contains(?, status) GROUP BY agent_id",
        ["done", list(FINISHED)],
    ).fetchall()
    return {agent: share for agent, share in rows}


def stopped_by_user(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Sessions stopped with an abort, read from the canonical ``entry_json``."""
    return con.execute(
        "SELECT agent_id, session_key FROM sessions WHERE status = ? "
        "AND json_extract(entry_json, '$.abortedLastRun')::BOOLEAN",
        ["killed"],
    ).fetchall()


def acp_errors(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Sessions whose ACP state (inside ``entry_json``) is ``error``."""
    return con.execute(
        "SELECT agent_id, session_key, status FROM sessions WHERE json_extract_string(entry_json, '$.acp.state') = ?",
        ["error"],
    ).fetchall()


def heartbeat_outcomes(con: duckdb.DuckDBPyConnection, outcome: str = "done") -> list[tuple[Any, ...]]:
    """Heartbeat outcomes of one kind (``progress/done/blocked/needs_attention``)."""
    return con.execute(
        "SELECT agent_id, session_key, summary, occurred_at FROM heartbeats WHERE outcome = ? ORDER BY occurred_at DESC",
        [outcome],
    ).fetchall()


def heartbeats_still_open(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Sessions whose last heartbeat said blocked while the session itself ended badly."""
    return con.execute(
        "SELECT h.agent_id, h.session_key, s.status FROM heartbeats h JOIN sessions s USING (agent_id, session_key) "
        "WHERE h.outcome <> ? AND list_contains(?, s.status)",
        ["done", list(ENDED_BADLY)],
    ).fetchall()
