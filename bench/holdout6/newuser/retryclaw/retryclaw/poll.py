"""Wait for sessions to settle; collect the children of a fan-out."""

from __future__ import annotations

import asyncio
import logging

from .client import ChildStatus, RunStatus, SessionRow, ToolsClient

log = logging.getLogger(__name__)

SETTLED: frozenset[RunStatus] = frozenset({"done", "failed", "killed", "timeout"})
# worth sending the task again; a session a user stopped is not
RETRY_WORTHY: tuple[RunStatus, ...] = ("failed", "timeout")
CHILD_BAD: frozenset[ChildStatus] = frozenset({"failed", "killed", "timeout"})


async def wait_settled(
    client: ToolsClient, keys: set[str], interval: float = 5.0, deadline: float = 600.0
) -> dict[str, SessionRow]:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    settled: dict[str, SessionRow] = {}
    while keys - settled.keys() and loop.time() < end:
        for row in await client.sessions(limit=200):
            if row.get("key") in keys and row.get("status") in SETTLED:
                settled[row["key"]] = row
        await asyncio.sleep(interval)
    return settled


def needs_retry(row: SessionRow) -> bool:
    return row.get("status") in RETRY_WORTHY and not row.get("abortedLastRun")


def describe(row: SessionRow) -> str:
    status = row.get("status")
    if status == "done":
        return f"{row['key']}: finished"
    if status == "killed":
        return f"{row['key']}: stopped by a user"
    if status == "timeout":
        return f"{row['key']}: hit its time limit"
    if status == "failed":
        return f"{row['key']}: {row.get('lastRunError') or 'run error'}"
    return f"{row['key']}: {status or 'no run yet'}"


async def collect(client: ToolsClient, run_ids: list[str]) -> tuple[list[str], list[str]]:
    """Drain agents_wait until every child has completed; split them by their run status."""
    good: list[str] = []
    bad: list[str] = []
    pending = list(run_ids)
    while pending:
        completed, pending = await client.wait_children(pending)
        for child in completed:
            if child.get("status") == "timeout":
                log.warning("child %s hit its run time limit", child.get("runId"))
            (bad if child.get("status") in CHILD_BAD else good).append(child["runId"])
    return good, bad
