"""Counters, a histogram and a gauge of sessions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

meter = metrics.get_meter("clawotel")

ended = meter.create_counter("openclaw.sessions.ended", unit="{session}", description="Runs that ended, by status")
runtime = meter.create_histogram("openclaw.session.runtime", unit="ms", description="Runtime of runs that ended normally")
source_errors = meter.create_counter("clawotel.source.errors", description="Event source failures, by kind")

_rows: dict[str, dict[str, Any]] = {}


def observe_row(row: dict[str, Any]) -> None:
    """Keep the row for the gauge, count its ending, record a normal run's runtime."""
    before = _rows.get(row["key"], {}).get("status")
    _rows[row["key"]] = row
    status = row.get("status")
    if status == before or status in (None, "running", "queued"):
        return
    ended.add(1, {"openclaw.session.status": status, "openclaw.agent.id": row.get("agentId") or ""})
    if status == "done" and row.get("runtimeMs") is not None:
        runtime.record(row["runtimeMs"], {"openclaw.agent.id": row.get("agentId") or ""})


def _running(options: CallbackOptions) -> Iterable[Observation]:
    counts: dict[str, int] = {}
    for row in _rows.values():
        if row.get("status") == "running":
            agent = row.get("agentId") or ""
            counts[agent] = counts.get(agent, 0) + 1
    return [Observation(n, {"openclaw.agent.id": agent}) for agent, n in counts.items()]


meter.create_observable_gauge("openclaw.sessions.running", callbacks=[_running], unit="{session}")


def source_failed(kind: str) -> None:
    """Count a failure of the event source, by its kind."""
    source_errors.add(1, {"kind": kind})
