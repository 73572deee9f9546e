"""What each agent spent: session entries from the state directory, read-only.

2026.8 and later keep them in ``agents/<id>/agent/openclaw-agent.sqlite``
(``session_nodes.entry_json``); older installs in ``agents/<id>/sessions/sessions.json``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import defaultdict
from pathlib import Path
from typing import Iterator, NamedTuple

from .settings import WASTED


class Entry(NamedTuple):
    agent: str
    key: str
    status: str | None
    usd: float
    tokens: int
    updated_ms: int


def _entry(agent: str, key: str, raw: dict) -> Entry:
    return Entry(
        agent,
        key,
        raw.get("status"),
        float(raw.get("estimatedCostUsd") or 0.0),
        int(raw.get("totalTokens") or 0),
        int(raw.get("updatedAt") or 0),
    )


def _from_sqlite(agent: str, path: Path) -> Iterator[Entry]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for key, text in conn.execute("SELECT session_key, entry_json FROM session_nodes"):
            yield _entry(agent, key, json.loads(text))
    finally:
        conn.close()


def _from_json(agent: str, path: Path) -> Iterator[Entry]:
    store = json.loads(path.read_text(encoding="utf-8"))
    for key, raw in store.items():
        yield _entry(agent, key, raw)


def entries(state_dir: Path) -> Iterator[Entry]:
    for agent_dir in sorted((state_dir / "agents").iterdir()):
        db = agent_dir / "agent" / "openclaw-agent.sqlite"
        legacy = agent_dir / "sessions" / "sessions.json"
        if db.exists():
            yield from _from_sqlite(agent_dir.name, db)
        elif legacy.exists():
            yield from _from_json(agent_dir.name, legacy)


def in_window(items: Iterator[Entry], hours: float) -> list[Entry]:
    since = (time.time() - hours * 3600) * 1000
    return [e for e in items if e.updated_ms >= since]


def by_agent(items: list[Entry]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = defaultdict(lambda: {"usd": 0.0, "wasted_usd": 0.0, "sessions": 0})
    for e in items:
        row = out[e.agent]
        row["usd"] += e.usd
        row["sessions"] += 1
        if e.status in WASTED:
            row["wasted_usd"] += e.usd
    return dict(out)


def stopped_count(db: Path) -> int:
    """Sessions of one agent whose last run a user (or this guard) stopped."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        (n,) = conn.execute("SELECT count(*) FROM session_nodes WHERE status = ?", ("killed",)).fetchone()
    finally:
        conn.close()
    return int(n)
