"""FastMCP tools over OpenClaw: find stuck sessions, nudge one, see its processes."""

from __future__ import annotations

from mcp.server.fastmcp import FastMCP

from . import calls, gateway

mcp = FastMCP("clawtools")

# Sessions whose last run ended badly; an assistant may pass its own list.
STUCK_DEFAULT = ["failed", "timeout"]


@mcp.tool()
async def list_stuck_sessions(statuses: list[str] | None = None, active_minutes: int = 240) -> list[dict]:
    """Sessions whose last run ended in one of `statuses` (default: failed, timeout)."""
    wanted = statuses or STUCK_DEFAULT
    call = calls.begin("list_stuck_sessions", {"statuses": wanted})
    try:
        rows = await gateway.list_sessions(active_minutes=active_minutes)
    except gateway.GatewayError as exc:
        calls.finish(call, ok=False, note=str(exc))
        raise
    stuck = [
        {"key": r["key"], "status": r.get("status"), "endedAt": r.get("endedAt")}
        for r in rows
        if r.get("status") in wanted
    ]
    calls.finish(call, ok=True, note=f"{len(stuck)} stuck")
    return stuck


@mcp.tool()
async def retry_session(key: str, message: str = "Please pick up where you left off.") -> dict:
    """Send a stuck session a message so that it runs again."""
    call = calls.begin("retry_session", {"key": key})
    rows = await gateway.list_sessions()
    row = next((r for r in rows if r.get("key") == key), None)
    if row is None:
        calls.finish(call, ok=False, note="no such session")
        return {"key": key, "result": "unknown session"}
    if row.get("status") == "killed" or row.get("abortedLastRun"):
        calls.finish(call, ok=False, note="stopped by a user")
        return {"key": key, "result": "stopped by a user; not retried"}
    if row.get("status") == "running":
        calls.finish(call, ok=True, note="already running")
        return {"key": key, "result": "already running"}
    reply = await gateway.send(key, message)
    if reply.get("status") == "timeout":
        # the wait for a reply elapsed; the message was still delivered
        calls.finish(call, ok=True, note="sent, no reply yet")
        return {"key": key, "result": "sent, no reply yet"}
    ok = reply.get("status") in ("ok", "accepted")
    calls.finish(call, ok=ok, note=str(reply.get("error") or ""))
    return {"key": key, "result": reply.get("status")}


@mcp.tool()
async def session_processes(key: str) -> list[dict]:
    """Exec processes the session started, with the ones that died marked."""
    procs = await gateway.processes(key)
    out = []
    for p in procs:
        bad = p.get("status") == "failed" or p.get("status") == "killed"
        out.append({"id": p.get("sessionId"), "command": p.get("command"), "status": p.get("status"), "bad": bad})
    return out


def _over(state: str | None) -> bool:
    """Shared by session rows and the server's own calls: both end done, failed or timeout."""
    return state in ("done", "failed", "timeout")


@mcp.tool()
def my_recent_calls() -> list[dict]:
    """The server's own recent tool calls and how they ended."""
    calls.expire()
    return [
        {"tool": c.tool, "state": c.state, "note": c.note, "over": _over(c.state)}
        for c in calls.LEDGER[-20:]
        if c.state != "done"
    ]


@mcp.resource("clawtools://sessions/summary")
async def summary() -> str:
    rows = await gateway.list_sessions()
    done = sum(1 for r in rows if r.get("status") == "done")
    over = sum(1 for r in rows if _over(r.get("status")))
    ended_badly = sum(1 for r in rows if r.get("status") in {"failed", "killed", "timeout"})
    return f"{len(rows)} sessions, {over} not running, {done} finished their last turn, {ended_badly} ended badly"


if __name__ == "__main__":
    mcp.run()
