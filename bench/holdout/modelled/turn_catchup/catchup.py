"""Close a task whose agent turn finished while nobody was listening.

The task follower normally waits for the final ``chat`` frame of a turn. If
it attaches late (after a restart, or after the turn already ended), that
frame is gone. This module asks the gateway instead: ``sessions.describe``
gives the session row (``status``, ``lastRunId``, ``abortedLastRun``), and
``chat.history`` gives the assistant messages with their usage. The turn is
closed only when the session's last run belongs to the task.
"""

from __future__ import annotations

from typing import Any, Callable

# Session row status -> state of the frame the follower would have seen.
ROW_TO_FRAME = {
    "done": "final",
    "completed": "final",
    "failed": "error",
    "error": "error",
    "aborted": "aborted",
    "cancelled": "aborted",
}
RESTART_NOTICE = "interrupted by a gateway restart"


def frame_state(row: dict[str, Any]) -> str | None:
    """The terminal frame state for a session row, or None while it runs."""
    status = str(row.get("status") or "").lower()
    if row.get("abortedLastRun") is True and status in ROW_TO_FRAME:
        return "aborted"
    return ROW_TO_FRAME.get(status)


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text") or "") for p in content if isinstance(p, dict))
    return ""


def runs_of_turn(messages: list[dict[str, Any]], first_run: str) -> set[str] | None:
    """The first run id plus the runs the gateway resumed on its own after a restart."""
    runs, seen = {first_run}, False
    for msg in messages:
        meta = msg.get("__openclaw") if isinstance(msg.get("__openclaw"), dict) else {}
        run_id = str(meta.get("runId") or "")
        if run_id == first_run:
            seen = True
            continue
        if not seen:
            continue
        if msg.get("role") == "user" and RESTART_NOTICE not in _text(msg):
            return None  # someone else started a new turn
        if run_id:
            runs.add(run_id)
    return runs if seen else None


async def catch_up(task: Any, session_key: str, rpc: Callable[..., Any],
                   close_task: Callable[[Any, str], None]) -> dict[str, Any]:
    """Close ``task`` from the gateway's view of its session; never raises."""
    out: dict[str, Any] = {"closed": False, "status": "", "skipped": ""}
    try:
        if task.status != "in_progress" or not task.run_id:
            out["skipped"] = "task waits for no turn"
            return out
        described = await rpc("sessions.describe", {"key": session_key})
        row = described.get("session") if isinstance(described.get("session"), dict) else {}
        out["status"] = str(row.get("status") or "")
        state = frame_state(row)
        if state is None:
            out["skipped"] = "turn still running"
            return out
        history = await rpc("chat.history", {"sessionKey": session_key, "limit": 200})
        runs = runs_of_turn(history.get("messages") or [], task.run_id)
        if not runs or str(row.get("lastRunId") or "") not in runs:
            out["skipped"] = "last run is not the task's"
            return out
        close_task(task, state)
        out["closed"] = True
    except Exception as exc:  # a failed catch-up leaves the live stream in charge
        out["skipped"] = f"error: {exc}"[:200]
    return out
