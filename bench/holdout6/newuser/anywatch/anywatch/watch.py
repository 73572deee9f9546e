"""The watchdog: probes in one task group, alerts through a memory object stream."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream

from . import probe

STUCK_AFTER_S = 20 * 60
# a session whose last run ended stays quiet until someone sends to it
QUIET = frozenset({"done", "failed", "killed", "timeout"})


@dataclass(frozen=True)
class Alert:
    kind: str  # "probe", "stuck", "run-error", "subagent-timeout"
    subject: str
    detail: str


def classify(rows: list[dict[str, Any]], now_ms: float) -> tuple[list[Alert], int]:
    alerts: list[Alert] = []
    quiet = 0
    for row in rows:
        status = row.get("status")
        if status in QUIET:
            quiet += 1
        if status == "running" and now_ms - (row.get("updatedAt") or now_ms) > STUCK_AFTER_S * 1000:
            alerts.append(Alert("stuck", row["key"], "running with no update for 20 min"))
        elif status == "failed" and row.get("lastRunError"):
            alerts.append(Alert("run-error", row["key"], row["lastRunError"]))
    return alerts, quiet


async def watch_sessions(send: ObjectSendStream[Alert], every: float) -> None:
    async with send:
        while True:
            outcome, doc = await probe.sessions()
            if outcome == "timeout":
                await send.send(Alert("probe", "openclaw sessions", "no answer within 45 s"))
            elif outcome == "error":
                await send.send(Alert("probe", "openclaw sessions", str(doc)))
            else:
                alerts, _quiet = classify(doc.get("sessions", []), time.time() * 1000)
                for alert in alerts:
                    await send.send(alert)
            await anyio.sleep(every)


async def watch_subagents(send: ObjectSendStream[Alert], state_dir: Path, every: float) -> None:
    seen: set[str] = set()
    async with send:
        while True:
            for run_id, run in (await probe.subagent_runs(state_dir)).items():
                outcome = (run.get("outcome") or {}).get("status")
                if outcome == "timeout" and run_id not in seen:
                    seen.add(run_id)
                    await send.send(Alert("subagent-timeout", run_id, run.get("endedReason") or ""))
            await anyio.sleep(every)


async def watch_gateway(send: ObjectSendStream[Alert], every: float) -> None:
    async with send:
        while True:
            outcome, detail = await probe.gateway_health()
            if outcome != "ok":
                await send.send(Alert("probe", "openclaw health", f"{outcome}: {detail or ''}"))
            await anyio.sleep(every)


async def deliver(receive: ObjectReceiveStream[Alert], sink: Callable[[Alert], Awaitable[None]]) -> None:
    async with receive:
        async for alert in receive:
            await sink(alert)


async def main(state_dir: Path, sink: Callable[[Alert], Awaitable[None]], every: float = 60.0) -> None:
    send, receive = anyio.create_memory_object_stream[Alert](100)
    async with anyio.create_task_group() as tg:
        tg.start_soon(watch_sessions, send.clone(), every)
        tg.start_soon(watch_subagents, send.clone(), state_dir, every)
        tg.start_soon(watch_gateway, send.clone(), every * 5)
        tg.start_soon(deliver, receive, sink)
        send.close()


if __name__ == "__main__":
    import os
    import sys

    async def _print(alert: Alert) -> None:
        print(f"{alert.kind}\t{alert.subject}\t{alert.detail}", flush=True)

    root = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))
    anyio.run(main, root, _print, backend=sys.argv[1] if len(sys.argv) > 1 else "asyncio")
