"""Operators over the state directory: sensors, a backfill of missing statuses, pruning."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable

from clawdag.core import BaseOperator, SkipTask


def state_dir() -> Path:
    return Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))


def _write_json_atomic(path: Path, data: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".sessions.", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


class SessionStatusSensor(BaseOperator):
    """Waits until a session's status is one of ``target_statuses`` (read from the SQLite store)."""

    def __init__(self, *, agent: str, key: str, target_statuses: Iterable[str] = ("done",),
                 poke_interval: float = 30.0, timeout: float = 3600.0, **kw: Any) -> None:
        super().__init__(**kw)
        self.agent, self.key = agent, key
        self.target_statuses = tuple(target_statuses)
        self.poke_interval, self.timeout = poke_interval, timeout

    def poke(self) -> str | None:
        db = state_dir() / "agents" / self.agent / "agent" / "openclaw-agent.sqlite"
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            found = conn.execute("SELECT status FROM session_nodes WHERE session_key = ?", (self.key,)).fetchone()
        return found[0] if found else None

    def execute(self, context: dict[str, Any]) -> str:
        deadline = time.monotonic() + self.timeout
        while True:
            status = self.poke()
            if status in self.target_statuses:
                return status
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.key} still {status!r} after {self.timeout:.0f}s")
            time.sleep(self.poke_interval)


class BackfillStatusOperator(BaseOperator):
    """Gives a status to legacy ``sessions.json`` entries that ended without one.

    Old gateways wrote no status for runs that ended before the field existed; the
    dashboards downstream drop such rows. The entry's own fields say how it ended.
    """

    def execute(self, context: dict[str, Any]) -> dict[str, int]:
        changed: dict[str, int] = {}
        for store in sorted(state_dir().glob("agents/*/sessions/sessions.json")):
            entries = json.loads(store.read_text(encoding="utf-8"))
            n = 0
            for entry in entries.values():
                if entry.get("status") or not entry.get("endedAt"):
                    continue
                if entry.get("abortedLastRun"):
                    entry["status"] = "killed"
                elif (entry.get("acp") or {}).get("state") == "error":
                    entry["status"] = "failed"
                else:
                    entry["status"] = "done"
                n += 1
            if n:
                _write_json_atomic(store, entries)
                changed[store.parent.parent.name] = n
        if not changed:
            raise SkipTask("nothing to backfill")
        return changed


class CountEndedOperator(BaseOperator):
    """Counts sessions by how their last run ended, from every agent's SQLite store."""

    ENDED = ("done", "failed", "killed", "timeout")

    def execute(self, context: dict[str, Any]) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(self.ENDED, 0)
        marks = ", ".join("?" for _ in self.ENDED)
        for db in state_dir().glob("agents/*/agent/openclaw-agent.sqlite"):
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                rows = conn.execute(
                    f"SELECT status, COUNT(*) FROM session_nodes WHERE status IN ({marks}) GROUP BY status",
                    self.ENDED,
                ).fetchall()
            for status, n in rows:
                counts[status] += n
        return counts


class PruneRunsOperator(BaseOperator):
    """Drops subagent runs whose outcome says they timed out, older than ``days``."""

    def __init__(self, *, days: int = 14, outcomes: tuple[str, ...] = ("timeout", "error"), **kw: Any) -> None:
        super().__init__(**kw)
        self.days, self.outcomes = days, outcomes

    def execute(self, context: dict[str, Any]) -> int:
        path = state_dir() / "subagents" / "runs.json"
        if not path.exists():
            raise SkipTask("no subagent runs")
        doc = json.loads(path.read_text(encoding="utf-8"))
        cutoff = (time.time() - self.days * 86400) * 1000
        runs = doc.get("runs", {})
        old = [rid for rid, run in runs.items()
               if (run.get("outcome") or {}).get("status") in self.outcomes and (run.get("endedAt") or 0) < cutoff]
        for rid in old:
            del runs[rid]
        if old:
            _write_json_atomic(path, doc)
        return len(old)
