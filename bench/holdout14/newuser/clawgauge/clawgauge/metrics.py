"""The gauges, and one refresh of them."""

from __future__ import annotations

from collections import Counter

from prometheus_client import Counter as PromCounter
from prometheus_client import Gauge

from . import source

SESSIONS = Gauge("openclaw_sessions", "Sessions by agent and last-run status", ["agent", "status"])
ENDED_BADLY = Gauge("openclaw_sessions_ended_badly", "Sessions whose last run errored or ran out of time", ["agent"])
STOPPED = Gauge("openclaw_sessions_stopped_by_user", "Sessions a user stopped", ["agent"])
PROCESSES = Gauge("openclaw_exec_processes", "Background exec processes by status", ["status"])
SUBAGENT_OUTCOMES = PromCounter("openclaw_subagent_runs", "Sub-agent runs by outcome", ["outcome"])

# every series we draw on the board, zeroed on each refresh so gaps show as 0
SERIES = ("running", "done", "failed", "timeout", "killed")
BAD = {"failed", "timeout"}
PROCESS_SERIES = ("running", "completed", "failed", "killed")

_seen_runs: set[str] = set()


def _agent(key: str) -> str:
    parts = key.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "agent" else "main"


def refresh() -> None:
    rows = source.sessions()
    agents = {_agent(r.get("key", "")) for r in rows} or {"main"}
    for agent in agents:
        for status in SERIES:
            SESSIONS.labels(agent=agent, status=status).set(0)
    bad: Counter[str] = Counter()
    stopped: Counter[str] = Counter()
    for row in rows:
        agent = _agent(row.get("key", ""))
        status = row.get("status") or "unknown"
        SESSIONS.labels(agent=agent, status=status).inc()
        if status in BAD:
            bad[agent] += 1
        if status == "killed" and row.get("abortedLastRun"):
            stopped[agent] += 1
    for agent in agents:
        ENDED_BADLY.labels(agent=agent).set(bad[agent])
        STOPPED.labels(agent=agent).set(stopped[agent])

    for status in PROCESS_SERIES:
        PROCESSES.labels(status=status).set(0)
    for row in rows:
        if row.get("status") != "failed":
            continue
        for proc in source.exec_processes(row["key"]):
            PROCESSES.labels(status=proc.get("status") or "running").inc()

    for run in source.subagent_runs():
        run_id = run.get("runId")
        if not run_id or run_id in _seen_runs:
            continue
        outcome = (run.get("outcome") or {}).get("status")
        if outcome in ("ok", "error", "timeout"):
            SUBAGENT_OUTCOMES.labels(outcome=outcome).inc()
            _seen_runs.add(run_id)
