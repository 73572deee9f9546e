"""Small typed records of what a team reads from an OpenClaw state directory."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SessionRow:
    """One row of `openclaw sessions --json`."""

    key: str
    status: str | None
    aborted: bool = False

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> SessionRow:
        return cls(row["key"], row.get("status"), bool(row.get("abortedLastRun")))


@dataclass(frozen=True)
class SubagentRun:
    """One run of `subagents/runs.json`; `outcome` is ok, error, timeout or unknown."""

    run_id: str
    outcome: str
    ended_reason: str | None = None


@dataclass(frozen=True)
class CronRun:
    """One line of `cron/runs/<jobId>.jsonl`; `status` is ok, error or skipped."""

    job_id: str
    status: str
    error: str | None = None


@dataclass(frozen=True)
class ExecProcess:
    """A background exec session of the `process` tool."""

    session_id: str
    status: str
    exit_code: int | None = None


def subagent_runs(state_dir: Path) -> list[SubagentRun]:
    path = state_dir / "subagents" / "runs.json"
    if not path.exists():
        return []
    runs = json.loads(path.read_text(encoding="utf-8")).get("runs", {})
    return [
        SubagentRun(run_id, (run.get("outcome") or {}).get("status", "unknown"), run.get("endedReason"))
        for run_id, run in runs.items()
    ]


def cron_runs(state_dir: Path, job_id: str) -> list[CronRun]:
    path = state_dir / "cron" / "runs" / (job_id + ".jsonl")
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            out.append(CronRun(job_id, entry.get("status", "error"), entry.get("error")))
    return out
