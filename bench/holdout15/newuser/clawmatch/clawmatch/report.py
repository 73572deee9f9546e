"""A morning report: sqlite3.Row queries and the triage of each row."""

from __future__ import annotations

import sqlite3
from collections import Counter

from . import rows as store
from .triage import triage

BAD = ("failed", "timeout")


def by_status(agent: str) -> Counter:
    counts: Counter = Counter()
    with store._open(agent) as conn:
        for r in conn.execute("SELECT status, count(*) AS n FROM session_nodes GROUP BY status"):
            counts[r["status"]] += r["n"]
    return counts


def stale_windows(agent: str) -> list[sqlite3.Row]:
    with store._open(agent) as conn:
        cur = conn.execute("SELECT session_key, status FROM session_windows")
        return [r for r in cur if r["status"] in BAD]


def morning(agent: str) -> str:
    counts = by_status(agent)
    finished, failed = counts["done"], counts["failed"]
    late, stopped = counts["timeout"], counts["killed"]
    lines = [f"{agent}: {finished} finished, {failed} failed, {late} timed out, {stopped} stopped"]
    for row in store.all_rows(agent):
        if row.status == "done":
            continue
        lines.append(f"  {row.key}: {triage(row)}")
    for r in stale_windows(agent):
        lines.append(f"  window {r['session_key']} ended {r['status']}")
    if store.count_finished(agent) == 0:
        lines.append("  nothing finished yet today")
    return "\n".join(lines)
