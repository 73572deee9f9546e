"""Open a DuckDB connection with every ``openclaw-agent.sqlite`` attached read-only.

``sessions`` is a view over all agents' ``session_nodes``; ``heartbeats`` one
over their ``heartbeat_outcomes``. Nothing is ever written to OpenClaw's files.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb


def state_dir() -> Path:
    """``$OPENCLAW_STATE_DIR``, else ``~/.openclaw``."""
    return Path(os.environ.get("OPENCLAW_STATE_DIR") or Path.home() / ".openclaw")


def agent_stores(root: Path) -> dict[str, Path]:
    """Each agent's SQLite store, by agent id."""
    return {p.parent.parent.name: p for p in sorted(root.glob("agents/*/agent/openclaw-agent.sqlite"))}


def _alias(agent_id: str) -> str:
    return "a_" + re.sub(r"\W", "_", agent_id)


def connect(root: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the stores attached and the views made."""
    con = duckdb.connect()
    con.execute("INSTALL sqlite; LOAD sqlite;")
    stores = agent_stores(root or state_dir())
    sessions, beats = [], []
    for agent_id, path in stores.items():
        alias = _alias(agent_id)
        con.execute(f"ATTACH '{path}' AS {alias} (TYPE sqlite, READ_ONLY)")
        quoted = agent_id.replace("'", "''")
        sessions.append(
            f"SELECT '{quoted}' AS agent_id, session_key, status, updated_at, entry_json, archived_at "
            f"FROM {alias}.session_nodes"
        )
        beats.append(f"SELECT '{quoted}' AS agent_id, session_key, outcome, summary, occurred_at FROM {alias}.heartbeat_outcomes")
    if not sessions:
        con.execute(
            "CREATE VIEW sessions AS SELECT NULL::VARCHAR AS agent_id, NULL::VARCHAR AS session_key, "
            "NULL::VARCHAR AS status, NULL::BIGINT AS updated_at, NULL::VARCHAR AS entry_json, "
            "NULL::BIGINT AS archived_at WHERE false"
        )
        con.execute(
            "CREATE VIEW heartbeats AS SELECT NULL::VARCHAR AS agent_id, NULL::VARCHAR AS session_key, "
            "NULL::VARCHAR AS outcome, NULL::VARCHAR AS summary, NULL::BIGINT AS occurred_at WHERE false"
        )
        return con
    con.execute("CREATE VIEW sessions AS " + " UNION ALL ".join(sessions))
    con.execute("CREATE VIEW heartbeats AS " + " UNION ALL ".join(beats))
    return con
