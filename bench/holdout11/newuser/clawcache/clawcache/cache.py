"""The cache: session rows by key, the runs a caller waits on, and a resync state.

Rows come from ``sessions.list`` (the first roster of ``sessions.subscribe``)
and then from each keyed ``sessions.changed`` event, whose ``session`` field
is the new row. A keyless event only means the roster changed: the cache is
marked stale and resynced.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["queued", "running", "done", "failed", "killed", "timeout"]

ENDED: frozenset[str] = frozenset({"done", "failed", "killed", "timeout"})
ATTENTION: tuple[str, ...] = ("failed", "timeout")

SyncState = Literal["idle", "stale", "syncing", "done", "failed"]


@dataclass
class SessionCache:
    """Session rows by key; see the module docstring."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen_at: dict[str, float] = field(default_factory=dict)
    child_runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    sync: SyncState = "idle"

    # ---- rows -----------------------------------------------------------
    def load(self, roster: Iterable[Mapping[str, Any]]) -> None:
        """Replace the cache with a full roster."""
        self.rows = {str(r["key"]): dict(r) for r in roster}
        now = time.monotonic()
        self.seen_at = {k: now for k in self.rows}
        self.sync = "done"

    def apply_event(self, payload: Mapping[str, Any]) -> None:
        """One ``sessions.changed`` payload."""
        row = payload.get("session")
        key = payload.get("sessionKey") or (row or {}).get("key")
        if not key:
            self.sync = "stale"
            return
        if payload.get("reason") == "deleted" or row is None:
            self.rows.pop(key, None)
            self.seen_at.pop(key, None)
            return
        self.rows[key] = dict(row)
        self.seen_at[key] = time.monotonic()

    def get(self, key: str) -> dict[str, Any] | None:
        return self.rows.get(key)

    def with_status(self, *statuses: str) -> Iterator[dict[str, Any]]:
        wanted = set(statuses)
        return (r for r in self.rows.values() if r.get("status") in wanted)

    def running(self) -> list[str]:
        return sorted(k for k, r in self.rows.items() if r.get("status") == "running")

    def ended(self) -> list[str]:
        return sorted(k for k, r in self.rows.items() if r.get("status") in ENDED)

    def needs_attention(self) -> list[str]:
        """Sessions whose last run failed or hit its time limit, not stopped by a user."""
        return sorted(
            k for k, r in self.rows.items() if r.get("status") in ATTENTION and not r.get("abortedLastRun")
        )

    def mark_stopped(self, key: str) -> None:
        """What the row will say once the abort we just sent lands (shown before the event)."""
        row = self.rows.get(key)
        if row is None or row.get("status") != "running":
            return
        row["status"] = "killed"
        row["abortedLastRun"] = True

    def prune(self, older_than: float) -> int:
        """Drop ended rows not seen for ``older_than`` seconds; how many went."""
        cutoff = time.monotonic() - older_than
        gone = [k for k in self.ended() if self.seen_at.get(k, 0.0) < cutoff]
        for k in gone:
            self.rows.pop(k, None)
            self.seen_at.pop(k, None)
        return len(gone)

    # ---- agents_wait ----------------------------------------------------
    def record_wait(self, result: Mapping[str, Any]) -> list[str]:
        """Keep the ``completed`` children of an ``agents_wait`` result; the run ids that did not finish well."""
        bad = []
        for item in result.get("completed") or []:
            self.child_runs[item["runId"]] = dict(item)
            if item.get("status") != "done":
                bad.append(item["runId"])
        return bad

    def children_with(self, status: str) -> list[str]:
        """Child run ids whose run-level status is ``status``."""
        return sorted(r for r, item in self.child_runs.items() if item.get("status") == status)

    # ---- resync ---------------------------------------------------------
    def begin_sync(self) -> bool:
        """True when a resync should start now."""
        if self.sync in ("stale", "failed", "idle"):
            self.sync = "syncing"
            return True
        return False

    def sync_failed(self) -> None:
        self.sync = "failed"
