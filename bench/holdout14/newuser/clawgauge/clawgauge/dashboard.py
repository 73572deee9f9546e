"""A text dashboard read back from the registry, for the chat bot's /board."""

from __future__ import annotations

from prometheus_client import REGISTRY

from .metrics import SESSIONS


def _session_value(agent: str, status: str) -> float:
    return REGISTRY.get_sample_value("openclaw_sessions", {"agent": agent, "status": status}) or 0.0


def _agents() -> list[str]:
    names = set()
    for metric in SESSIONS.collect():
        for sample in metric.samples:
            names.add(sample.labels["agent"])
    return sorted(names)


def board() -> str:
    lines = ["agent        done  failed  timeout  killed"]
    for agent in _agents():
        lines.append(
            "%-12s %4d  %6d  %7d  %6d"
            % (
                agent,
                _session_value(agent, "done"),
                _session_value(agent, "failed"),
                _session_value(agent, "timeout"),
                _session_value(agent, "killed"),
            )
        )
    killed_procs = REGISTRY.get_sample_value("openclaw_exec_processes", {"status": "killed"}) or 0
    failed_procs = REGISTRY.get_sample_value("openclaw_exec_processes", {"status": "failed"}) or 0
    lines.append("exec processes: %d killed, %d failed" % (killed_procs, failed_procs))
    late = REGISTRY.get_sample_value("openclaw_subagent_runs_total", {"outcome": "timeout"}) or 0
    lines.append("sub-agent runs out of time: %d" % late)
    return "\n".join(lines)


def alert_lines(threshold: int = 3) -> list[str]:
    out = []
    for agent in _agents():
        n = SESSIONS.labels(agent=agent, status="failed")._value.get()
        if n >= threshold:
            out.append(f"{agent}: {int(n)} sessions errored")
    return out
