"""Prometheus metrics of an OpenClaw gateway, gathered on each scrape.

    python -m ocexporter.collector --port 9488
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator

from prometheus_client import Counter as PromCounter
from prometheus_client import start_http_server
from prometheus_client.core import REGISTRY, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .gateway import Gateway, GatewayError

# Every status a session row can carry, so that each series exists even at zero.
SESSION_STATUSES = ("running", "queued", "done", "failed", "killed", "timeout")
# The ones the "runs ending badly" alert adds up.
ENDED_BADLY = {"failed", "timeout", "killed"}

# Background task states of `openclaw tasks list --json`.
TASK_STATES = ("queued", "running", "succeeded", "failed", "timed_out", "cancelled", "lost")

scrape_errors = PromCounter("openclaw_exporter_scrape_errors", "Scrapes that could not reach the gateway", ["kind"])


def agent_of(key: str) -> str:
    parts = key.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "agent" else "main"


class OpenClawCollector(Collector):
    def __init__(self, gateway: Callable[[], Gateway] = Gateway, tasks_cmd: tuple[str, ...] = ("openclaw", "tasks", "list", "--json")) -> None:
        self.gateway = gateway
        self.tasks_cmd = tasks_cmd

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("openclaw_up", "Whether the last scrape reached the gateway")
        try:
            with self.gateway() as gw:
                rows = gw.sessions()
                jobs = gw.cron_jobs()
        except (GatewayError, OSError) as exc:
            kind = "timeout" if isinstance(exc, GatewayError) and exc.code == "timeout" else "connect"
            scrape_errors.labels(kind=kind).inc()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from self._sessions(rows)
        yield from self._cron(jobs)
        yield from self._tasks()

    def _sessions(self, rows: list[dict]) -> Iterator[Metric]:
        by_status = GaugeMetricFamily("openclaw_sessions", "Sessions by the status of their last run", labels=["agent", "status"])
        bad = GaugeMetricFamily("openclaw_sessions_ended_badly", "Sessions whose last run failed, timed out or was stopped", labels=["agent"])
        runtime = GaugeMetricFamily("openclaw_session_last_runtime_seconds", "Runtime of the last finished run", labels=["agent", "key"])
        counts = Counter((agent_of(r["key"]), r.get("status") or "none") for r in rows)
        for agent in sorted({a for a, _ in counts} or {"main"}):
            for status in SESSION_STATUSES:
                by_status.add_metric([agent, status], counts.get((agent, status), 0))
            bad.add_metric([agent], sum(n for (a, s), n in counts.items() if a == agent and s in ENDED_BADLY))
        for r in rows:
            if r.get("status") == "done" and r.get("runtimeMs"):
                runtime.add_metric([agent_of(r["key"]), r["key"]], r["runtimeMs"] / 1000)
        yield from (by_status, bad, runtime)

    def _cron(self, jobs: list[dict]) -> Iterator[Metric]:
        last = GaugeMetricFamily("openclaw_cron_last_run_ok", "1 if the job's last run went well", labels=["job"])
        for job in jobs:
            state = job.get("state") or {}
            if state.get("lastRunStatus") in (None, "skipped"):
                continue
            last.add_metric([job.get("name") or job["id"]], 1 if state["lastRunStatus"] == "ok" else 0)
        yield last

    def _tasks(self) -> Iterator[Metric]:
        g = GaugeMetricFamily("openclaw_tasks", "Background tasks by state", labels=["state"])
        try:
            out = subprocess.run(self.tasks_cmd, capture_output=True, text=True, timeout=20, check=True).stdout
            tasks = json.loads(out)
        except (OSError, subprocess.SubprocessError, ValueError):
            scrape_errors.labels(kind="tasks").inc()
            return
        tasks = tasks.get("tasks", tasks) if isinstance(tasks, dict) else tasks
        counts = Counter(t.get("status") for t in tasks)
        for state in TASK_STATES:
            g.add_metric([state], counts.get(state, 0))
        yield g


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=9488)
    args = ap.parse_args()
    REGISTRY.register(OpenClawCollector())
    start_http_server(args.port)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
