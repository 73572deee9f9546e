"""Where session rows come from: the CLI, or the state directory read directly."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

Row = dict[str, Any]


class SourceError(Exception):
    pass


def state_dir() -> Path:
    return Path(os.environ.get("OPENCLAW_STATE_DIR") or Path.home() / ".openclaw")


def from_cli(agent: str | None = None, timeout: float = 60.0) -> list[Row]:
    cmd = ["openclaw", "sessions", "--json", "--limit", "all"]
    cmd += ["--agent", agent] if agent else ["--all-agents"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise SourceError(f"openclaw sessions took longer than {timeout:.0f}s") from exc
    if proc.returncode != 0:
        raise SourceError(proc.stderr.strip() or f"openclaw sessions exited {proc.returncode}")
    return json.loads(proc.stdout).get("sessions", [])


def _agents(root: Path) -> Iterator[Path]:
    agents = root / "agents"
    if agents.is_dir():
        yield from sorted(p for p in agents.iterdir() if p.is_dir())


def from_json_stores(root: Path) -> Iterator[Row]:
    """Entries of agents/*/sessions/sessions.json (OpenClaw up to 2026.7)."""
    for agent in _agents(root):
        store = agent / "sessions" / "sessions.json"
        if not store.is_file():
            continue
        for key, entry in json.loads(store.read_text(encoding="utf-8")).items():
            yield {"agentId": agent.name, "key": key, **entry}


def mark_stale(root: Path, older_than_ms: int, now_ms: int) -> list[str]:
    """End entries of sessions.json left `running` by a gateway that died; return their keys."""
    fixed: list[str] = []
    for agent in _agents(root):
        store = agent / "sessions" / "sessions.json"
        if not store.is_file():
            continue
        data = json.loads(store.read_text(encoding="utf-8"))
        changed = False
        for key, entry in data.items():
            if entry.get("status") == "running" and now_ms - entry.get("updatedAt", now_ms) > older_than_ms:
                entry["status"] = "failed"
                entry["endedAt"] = now_ms
                changed = True
                fixed.append(f"{agent.name}/{key}")
        if changed:
            tmp = store.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
            tmp.replace(store)
    return fixed


def _db(agent: Path) -> sqlite3.Connection | None:
    path = agent / "agent" / "openclaw-agent.sqlite"
    if not path.is_file():
        return None
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    return con


def from_sqlite(root: Path, statuses: Iterable[str] | None = None) -> Iterator[Row]:
    """Session nodes of agents/*/agent/openclaw-agent.sqlite (2026.8 and later)."""
    wanted = list(statuses or ())
    sql = "SELECT session_key, status, entry_json, updated_at FROM session_nodes"
    if wanted:
        sql += f" WHERE status IN ({', '.join('?' * len(wanted))})"
    for agent in _agents(root):
        con = _db(agent)
        if con is None:
            continue
        with con:
            for rec in con.execute(sql, wanted):
                entry = json.loads(rec["entry_json"])
                yield {"agentId": agent.name, "key": rec["session_key"], **entry, "status": rec["status"]}


def windows_ended(root: Path, status: str, since_ms: int) -> list[tuple[str, str, int]]:
    """(agent, session id, ended at) of session windows that ended with `status` since a time."""
    found: list[tuple[str, str, int]] = []
    for agent in _agents(root):
        con = _db(agent)
        if con is None:
            continue
        with con:
            rows = con.execute(
                "SELECT session_id, ended_at FROM session_windows WHERE status = ? AND ended_at >= ?",
                (status, since_ms),
            ).fetchall()
        found += [(agent.name, r["session_id"], r["ended_at"]) for r in rows]
    return found


def subagent_runs(root: Path) -> list[Row]:
    path = root / "subagents" / "runs.json"
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [{"runId": run_id, **run} for run_id, run in data.get("runs", {}).items()]


def tasks() -> list[Row]:
    proc = subprocess.run(["openclaw", "tasks", "list", "--json"], capture_output=True, text=True, check=True)
    data = json.loads(proc.stdout)
    return data if isinstance(data, list) else data.get("tasks", [])
