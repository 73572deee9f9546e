"""Helpers for the data tests: a private OpenClaw state dir, its database,
and the real CLI in a subprocess."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from conftest import run_cli

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
AGENT_SQL = FIXTURES / "data" / "openclaw-agent.sql"
DB_REL = "agents/main/agent/openclaw-agent.sqlite"
NEW_GATEWAY = "2027.1.0"
OLD_GATEWAY = "2026.7.2"


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m migrator ARGS`` in a real subprocess, on this checkout."""
    return run_cli(*args, cwd=cwd, env=env, timeout=timeout)


def build_db(path: Path) -> Path:
    """An OpenClaw 2026.9.6 agent database from fixtures/data/openclaw-agent.sql."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(AGENT_SQL.read_text("utf-8"))
    conn.close()
    return path


def make_state(tmp: Path, gateway: str | None = NEW_GATEWAY, db: bool = True) -> Path:
    """A copy of fixtures/state under ``tmp/state`` whose openclaw.json was
    last written by ``gateway`` (None: the fixture's own 2026.7.2)."""
    state = tmp / "state"
    shutil.copytree(FIXTURES / "state", state, ignore=shutil.ignore_patterns(".migrator"))
    if gateway is not None:
        config = state / "openclaw.json"
        config.write_text(config.read_text("utf-8").replace(OLD_GATEWAY, gateway), "utf-8")
    if db:
        build_db(state / DB_REL)
    return state


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (but the journal) with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".migrator" not in p.parts}


def db_content(path: Path) -> tuple[list[str], int]:
    """Everything a database holds, as SQL, and its user_version."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump()), conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
