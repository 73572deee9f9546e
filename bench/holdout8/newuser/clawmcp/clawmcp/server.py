"""The MCP tools and resources."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Literal

from mcp.server.fastmcp import FastMCP

from .gateway import FINISHED, WENT_WRONG, GatewayError, all_sessions, invoke

mcp = FastMCP("openclaw-sessions")

SessionStatus = Literal["running", "queued", "done", "failed", "killed", "timeout"]

# Short words for the assistant to read out, by session status.
SAY: dict[str, str] = {
    "running": "is working",
    "queued": "is waiting its turn",
    "done": "finished",
    "failed": "hit an error",
    "killed": "was stopped by someone",
    "timeout": "ran out of time",
}


def _brief(row: dict[str, Any]) -> dict[str, Any]:
    status = row.get("status")
    return {
        "key": row.get("key"),
        "status": status,
        "says": SAY.get(status or "", "has no status yet"),
        "runtimeSeconds": round((row.get("runtimeMs") or 0) / 1000),
    }


@mcp.tool()
async def list_sessions(status: SessionStatus | None = None, search: str | None = None) -> list[dict[str, Any]]:
    """List OpenClaw sessions, optionally only those whose last run has the given status."""
    try:
        rows = await all_sessions(search=search)
    except GatewayError as exc:
        return [{"error": exc.reason}]
    return [_brief(r) for r in rows if status is None or r.get("status") == status]


@mcp.tool()
async def problems(active_minutes: int = 24 * 60) -> dict[str, Any]:
    """Sessions of the last day whose last run went wrong, and stopped ones."""
    try:
        rows = await all_sessions(active_minutes=active_minutes)
    except GatewayError as exc:
        return {"error": exc.reason}
    wrong = [_brief(r) for r in rows if r.get("status") in WENT_WRONG]
    stopped = [_brief(r) for r in rows if r.get("status") == "killed"]
    return {"wentWrong": wrong, "stoppedByUser": stopped}


@mcp.tool()
async def wait_for_runs(run_ids: list[str], timeout_seconds: int = 30) -> dict[str, Any]:
    """Wait for child runs (agents_wait) and say how each ended."""
    try:
        answer = await invoke(
            "agents_wait", {"ids": run_ids, "timeoutMs": timeout_seconds * 1000}, timeout=timeout_seconds + 10
        )
    except GatewayError as exc:
        if exc.reason == "timeout":
            return {"pending": run_ids, "note": "the gateway did not answer in time"}
        return {"error": exc.reason}
    ended: dict[str, str] = {}
    for child in answer.get("completed", []):
        # Run-level results: "timeout" here means the child run hit its limit.
        ended[child["runId"]] = "ran out of time" if child.get("status") == "timeout" else str(child.get("status"))
    return {"ended": ended, "pending": answer.get("pending", []), "errors": answer.get("errors", [])}


@mcp.resource("openclaw://sessions/finished")
async def finished_sessions() -> str:
    """Every finished session, counted by status, as JSON."""
    rows = await all_sessions()
    counts = Counter(r.get("status") for r in rows if r.get("status") in FINISHED)
    return json.dumps(dict(counts), indent=2)


@mcp.prompt()
def triage(session_key: str, status: str) -> str:
    """A prompt that asks the assistant to triage one session."""
    if status == "timeout":
        hint = "Check whether the task was too large for the run's time limit."
    elif status == "killed":
        hint = "Someone stopped it; ask before starting it again."
    else:
        hint = "Read the end of its history for the error."
    return f"Look at OpenClaw session {session_key}. {hint}"


def main() -> None:
    mcp.run()
