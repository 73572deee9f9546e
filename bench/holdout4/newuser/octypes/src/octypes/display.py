"""Human words for records, shared by the CLI and the web views of our tools."""

from __future__ import annotations

from .records import ChildRun, SendResult, Session

SESSION_WORDS = {
    "running": "working",
    "done": "finished",
    "failed": "crashed",
    "killed": "stopped by you",
    "timeout": "ran out of time",
}

CHILD_WORDS = {"done": "finished", "failed": "errored", "killed": "cancelled", "timeout": "timed out"}


def describe(session: Session) -> str:
    word = SESSION_WORDS.get(session.status or "", "never ran")
    if session.acp_busy:
        word += " (ACP harness still busy)"
    return f"{session.key}: {word}"


def describe_child(child: ChildRun) -> str:
    return f"{child.run_id}: {CHILD_WORDS.get(child.status, child.status)}"


def describe_send(result: SendResult) -> str:
    if result.waiting_elapsed:
        return "sent; no reply yet"
    if result.status == "no_reply":
        return "sent; the agent finished without a reply"
    return result.status
