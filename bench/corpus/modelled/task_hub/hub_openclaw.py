"""A local hub that gathers agent tasks from several tools into one list.

Each adapter reports tasks in the hub's own vocabulary (waiting, running,
failed, done, recent, idle, unknown); `to_hub_status` maps whatever a tool
says onto it.
"""

from __future__ import annotations

import glob
import json
import os
import sqlite3
import time
from typing import Any

Task = dict[str, Any]
RECENT_MS = 24 * 60 * 60 * 1000
STALE_RUNNING_MS = 30 * 60 * 1000


def now_ms() -> int:
    return int(time.time() * 1000)


def to_hub_status(raw: str) -> str:
    s = (raw or "unknown").lower()
    if s in {"queued", "waiting", "needs_input", "pending"}:
        return "waiting"
    if s in {"running", "active", "in_progress"}:
        return "running"
    if s in {"failed", "error", "timed_out", "lost"}:
        return "failed"
    if s in {"succeeded", "success", "done", "completed"}:
        return "done"
    if s in {"idle", "offline"}:
        return "idle"
    return "unknown"


def rank(task: Task) -> int:
    order = {"waiting": 0, "failed": 1, "running": 2, "recent": 3, "unknown": 4, "done": 5, "idle": 9}
    return order.get(task.get("status", ""), 8)


def make_task(key: str, title: str, status: str, updated: int | None) -> Task:
    return {
        "id": key,
        "title": title,
        "status": status,
        "updated_ms": updated or now_ms(),
        "needs_attention": status in {"waiting", "failed"},
    }


class OpenClawSource:
    def __init__(self) -> None:
        self.state_dir = os.path.expanduser(os.environ.get("OPENCLAW_STATE_DIR", "~/.openclaw"))

    def tasks(self) -> list[Task]:
        return self._task_runs() + self._sessions()

    def _hub_status(self, raw: str, updated: int | None, aborted: bool = False) -> str:
        status = to_hub_status(raw)
        fresh = bool(updated) and now_ms() - (updated or 0) < RECENT_MS
        if aborted and fresh:
            return "failed"
        if status == "running":
            return "running" if not updated or now_ms() - updated < STALE_RUNNING_MS else "recent"
        if status in {"waiting", "failed"}:
            return status
        return "recent" if fresh else "idle"

    def _task_runs(self) -> list[Task]:
        db = os.path.join(self.state_dir, "tasks", "runs.sqlite")
        if not os.path.exists(db):
            return []
        conn = sqlite3.connect(db, timeout=0.5)
        conn.row_factory = sqlite3.Row
        try:
            rows = [dict(r) for r in conn.execute("SELECT task_id, label, status, ended_at, last_event_at FROM task_runs")]
        finally:
            conn.close()
        out = []
        for r in rows:
            updated = r.get("last_event_at") or r.get("ended_at")
            status = self._hub_status(str(r.get("status") or ""), updated)
            out.append(make_task(str(r["task_id"]), str(r.get("label") or "OpenClaw task"), status, updated))
        return out

    def _sessions(self) -> list[Task]:
        out = []
        for path in glob.glob(os.path.join(self.state_dir, "agents", "*", "sessions", "sessions.json")):
            with open(path, encoding="utf-8") as fh:
                store = json.load(fh)
            for key, entry in store.items():
                updated = entry.get("updatedAt") or entry.get("endedAt")
                status = self._hub_status(str(entry.get("status") or ""), updated, bool(entry.get("abortedLastRun")))
                if status not in {"running", "waiting", "failed"} and updated and now_ms() - updated > RECENT_MS:
                    continue
                out.append(make_task(key, f"{entry.get('model') or 'session'}", status, updated))
        return sorted(out, key=rank)
