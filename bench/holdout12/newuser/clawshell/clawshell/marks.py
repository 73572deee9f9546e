"""How the shell draws statuses."""

from __future__ import annotations

# Every status a session row can show; also what `ls` completes on.
SESSION_STATUSES = ["running", "queued", "done", "failed", "timeout", "killed"]

MARK = {
    "running": "\u25b6",
    "queued": "\u2026",
    "done": "\u2713",
    "failed": "\u2717",
    "timeout": "\u231b",
    "killed": "\u25a0",
}

# Background task states worth a mark of their own in `tasks`.
TASK_MARK = {
    "succeeded": "\u2713",
    "failed": "\u2717",
    "timed_out": "\u231b",
    "lost": "?",
}


def mark(status: str | None) -> str:
    """A one-character mark for a session status (a space for none)."""
    return MARK.get(status or "", " ")


def line(row: dict) -> str:
    """One row of `ls`: mark, key, runtime."""
    secs = (row.get("runtimeMs") or 0) / 1000
    return "%s %-48s %7.1fs %s" % (mark(row.get("status")), row["key"], secs, row.get("model") or "")
