"""What each row needs, by structural pattern matching over the dataclasses."""

from __future__ import annotations

from dataclasses import dataclass

from .rows import Heartbeat, Row


@dataclass(frozen=True)
class Proc:
    """An exec process of the `process` tool (running, completed, failed, killed)."""

    session_id: str
    status: str
    exit_code: int | None = None


def triage(row: Row) -> str:
    match row:
        case Row(status="running"):
            return "wait"
        case Row(status="killed") | Row(aborted_last_run=True):
            return "leave: stopped by a user"
        case Row(status="timeout", label=label) if label.startswith("nightly"):
            return "nudge tomorrow"
        case Row(status="timeout"):
            return "nudge"
        case Row(status="failed"):
            return "look at the transcript"
        case Row(status="done"):
            return "nothing"
        case _:
            return "unknown"


def proc_note(proc: Proc) -> str:
    match proc:
        case Proc(status="failed", exit_code=code):
            return f"exited {code}"
        case Proc(status="killed"):
            return "killed by a signal"
        case Proc(status="completed"):
            return "ok"
        case _:
            return proc.status


def heartbeat_note(hb: Heartbeat) -> str:
    match hb:
        case Heartbeat(outcome="done"):
            return "heartbeat says done"
        case Heartbeat(outcome="blocked"):
            return "heartbeat blocked"
        case _:
            return ""
