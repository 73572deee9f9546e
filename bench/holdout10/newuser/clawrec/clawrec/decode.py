"""Reading (and, for legacy stores, writing) the records of the state directory."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec

from .records import RunsFile, Session, SubagentRun

_sessions_map = msgspec.json.Decoder(dict[str, Session])
_session = msgspec.json.Decoder(Session)
_runs = msgspec.json.Decoder(RunsFile)
_encoder = msgspec.json.Encoder()

# A row that says running but has not moved for this long belongs to a gateway that died.
STALE_MS = 6 * 60 * 60 * 1000


def state_dir() -> Path:
    return Path(os.environ.get("OPENCLAW_STATE_DIR") or Path.home() / ".openclaw")


def agent_ids(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "agents").iterdir() if p.is_dir())


def sessions(root: Path, agent_id: str) -> list[Session]:
    """The agent's sessions: its SQLite store when there is one, else legacy ``sessions.json``."""
    db = root / "agents" / agent_id / "agent" / "openclaw-agent.sqlite"
    if db.exists():
        return list(_from_sqlite(db, agent_id))
    legacy = root / "agents" / agent_id / "sessions" / "sessions.json"
    if not legacy.exists():
        return []
    found = _sessions_map.decode(legacy.read_bytes())
    return [msgspec.structs.replace(s, key=key, agent_id=agent_id) for key, s in found.items()]


def _from_sqlite(db: Path, agent_id: str) -> Iterator[Session]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        for key, entry_json in con.execute("SELECT session_key, entry_json FROM session_nodes"):
            yield msgspec.structs.replace(_session.decode(entry_json), key=key, agent_id=agent_id)
    finally:
        con.close()


def settle(found: list[Session], now_ms: int | None = None) -> list[Session]:
    """Our copy of the rows, with runs nobody will ever end shown as what they are."""
    now_ms = now_ms or int(time.time() * 1000)
    out = []
    for s in found:
        if s.status == "running" and now_ms - s.updated_at > STALE_MS:
            s = msgspec.structs.replace(s, status="failed", ended_at=s.updated_at)
        out.append(s)
    return out


def runs(root: Path) -> list[SubagentRun]:
    path = root / "subagents" / "runs.json"
    if not path.exists():
        return []
    data = _runs.decode(path.read_bytes())
    return [msgspec.structs.replace(r, run_id=run_id) for run_id, r in data.runs.items()]


def mark_stopped(root: Path, agent_id: str, key: str) -> bool:
    """Record in a legacy ``sessions.json`` that we stopped a session the gateway no longer runs.

    Only for stores of gateways older than 2026.8: newer ones keep sessions in SQLite,
    which we never write.
    """
    path = root / "agents" / agent_id / "sessions" / "sessions.json"
    raw = msgspec.json.decode(path.read_bytes())
    entry = raw.get(key)
    if entry is None or entry.get("status") != "running":
        return False
    entry["status"] = "killed"
    entry["abortedLastRun"] = True
    entry["endedAt"] = entry["updatedAt"] = int(time.time() * 1000)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_bytes(msgspec.json.format(_encoder.encode(raw), indent=2))
    os.replace(tmp, path)
    return True
