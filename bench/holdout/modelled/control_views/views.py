"""Read-only operator views of an OpenClaw gateway for a web dashboard.

Every value that leaves this module is checked against the shape the gateway
documents: strings are trimmed to printable text, numbers must be finite and
non-negative, and enumerations must be one of the known words (anything else
becomes None). Nothing here writes to the gateway.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any, Awaitable, Callable

Rpc = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]

SOURCES = {"cron", "subagent", "custom", "main", "channel", "direct", "group", "thread", "heartbeat", "acp"}
CRON_RESULTS = {"ok", "error", "skipped"}


def clean_text(value: object, limit: int = 200) -> str:
    if not isinstance(value, str):
        return ""
    return "".join(ch for ch in value if ch.isprintable())[:limit]


def clean_number(value: object) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) and 0 <= value <= 2**53 - 1 else None


def one_of(value: object, allowed: set[str]) -> str | None:
    return value if isinstance(value, str) and value in allowed else None


def opaque(value: object) -> str:
    """A stable id for the browser that does not reveal the session key."""
    return hashlib.sha256(str(value).encode()).hexdigest()[:16]


def dict_rows(value: object) -> list[dict[str, Any]]:
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


async def session_view(rpc: Rpc, limit: int = 50, offset: int = 0, agent: str = "") -> dict[str, Any]:
    """One page of ``sessions.list``, reduced to what the dashboard shows."""
    params: dict[str, Any] = {"limit": limit, "offset": offset, "sortBy": "activity"}
    if agent:
        params["agentId"] = agent
    data = await rpc("sessions.list", params)
    items = []
    for row in dict_rows(data.get("sessions")):
        if not isinstance(row.get("key"), str) or not row["key"]:
            continue
        activity = clean_number(row.get("lastActivityAt"))
        items.append({
            "id": opaque(row["key"]),
            "agent": clean_text(row.get("agentId")),
            "source": one_of(row.get("classification"), SOURCES) or "custom",
            "model": clean_text(row.get("model")),
            "updated_at": activity if activity is not None else clean_number(row.get("updatedAt")),
            "active": row.get("hasActiveRun") is True,
            "status": one_of(row.get("status"), {"queued", "running", "done", "failed", "killed", "timeout"}),
            "tokens": clean_number(row.get("totalTokens")),
        })
    return {"sessions": items, "has_more": data.get("hasMore") is True, "offset": offset}


async def job_view(rpc: Rpc, offset: int = 0) -> dict[str, Any]:
    """The cron jobs with their last result, in the cron vocabulary."""
    data = await rpc("cron.list", {"includeDisabled": True, "limit": 50, "offset": offset})
    items = []
    for row in dict_rows(data.get("jobs")):
        state = row.get("state") if isinstance(row.get("state"), dict) else {}
        items.append({
            "id": clean_text(row.get("id")),
            "name": clean_text(row.get("displayName") or row.get("name")),
            "enabled": row.get("enabled") is True,
            "next_run": clean_number(state.get("nextRunAtMs")),
            "last_status": one_of(row.get("lastRunStatus", state.get("lastRunStatus")), CRON_RESULTS),
        })
    return {"jobs": items, "offset": offset}


async def run_view(rpc: Rpc, job_id: str) -> dict[str, Any]:
    data = await rpc("cron.runs", {"id": job_id, "limit": 20, "sortDir": "desc"})
    return {"runs": [{"at": clean_number(r.get("runAtMs", r.get("ts"))),
                      "status": one_of(r.get("status"), CRON_RESULTS),
                      "duration_ms": clean_number(r.get("durationMs"))}
                     for r in dict_rows(data.get("entries"))]}
