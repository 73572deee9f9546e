"""One span per finished session run, written after the fact from the row's timings."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

tracer = trace.get_tracer("clawotel")

# A run is over when its row says one of these.
SETTLED = {"done", "failed", "killed", "timeout"}

MS = 1_000_000  # nanoseconds in a millisecond


def _status_of(row: dict[str, Any]) -> tuple[Status, str | None]:
    """The span status for the row's session status, and an event to add, if any."""
    match row.get("status"):
        case "done":
            return Status(StatusCode.OK), None
        case "failed":
            return Status(StatusCode.ERROR, "run failed"), "run.error"
        case "timeout":
            return Status(StatusCode.ERROR, "run hit its time limit"), "run.timeout"
        case "killed":
            # A stop asked by a user is not an error of the agent.
            return Status(StatusCode.UNSET), "run.aborted"
        case _:
            return Status(StatusCode.UNSET), None


def session_span(row: dict[str, Any]) -> bool:
    """Emit the span of the row's last run; False when the row lacks timings."""
    started, ended = row.get("startedAt"), row.get("endedAt")
    if not started or not ended or row.get("status") not in SETTLED:
        return False
    status, event = _status_of(row)
    span = tracer.start_span(
        "openclaw.session.run",
        kind=SpanKind.INTERNAL,
        start_time=int(started) * MS,
        attributes={
            "openclaw.session.key": row["key"],
            "openclaw.session.status": row.get("status"),
            "openclaw.agent.id": row.get("agentId") or "",
            "openclaw.model": row.get("model") or "",
            "openclaw.aborted_last_run": bool(row.get("abortedLastRun")),
        },
    )
    if event:
        span.add_event(event, timestamp=int(ended) * MS)
    span.set_status(status)
    span.end(end_time=int(ended) * MS)
    return True


def subagent_span(run_id: str, run: dict[str, Any]) -> None:
    """A span of a subagent run of ``subagents/runs.json`` (its ``outcome.status``: ok/error/timeout/unknown)."""
    outcome = (run.get("outcome") or {}).get("status")
    span = tracer.start_span(
        "openclaw.subagent.run",
        start_time=int(run.get("startedAt") or run.get("createdAt") or 0) * MS,
        attributes={"openclaw.run.id": run_id, "openclaw.run.outcome": outcome or "", "openclaw.run.ended_reason": run.get("endedReason") or ""},
    )
    if outcome in ("error", "timeout"):
        span.set_status(Status(StatusCode.ERROR, str(outcome)))
    elif outcome == "ok":
        span.set_status(Status(StatusCode.OK))
    span.end(end_time=int(run.get("endedAt") or 0) * MS or None)
