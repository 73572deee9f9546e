"""The watcher: polls the ``openclaw`` CLI and logs every change.

    python -m clawlog.watch --every 30 --logs /var/log/clawlog
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import structlog

from clawlog.config import configure
from clawlog.levels import level_for, outcome_level

sessions_log = logging.getLogger("clawlog.sessions")
runs_log = logging.getLogger("clawlog.runs")
slog = structlog.get_logger("clawlog.sessions")


class CliFailed(Exception):
    """The ``openclaw`` CLI did not give JSON; ``reason`` says why."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def _openclaw_json(*args: str, wait: float = 60.0) -> Any:
    try:
        proc = subprocess.run(["openclaw", *args, "--json"], capture_output=True, text=True, timeout=wait)
    except subprocess.TimeoutExpired:
        raise CliFailed("timeout", " ".join(args)) from None
    except FileNotFoundError:
        raise CliFailed("missing", "openclaw is not on PATH") from None
    if proc.returncode != 0:
        raise CliFailed("exit", proc.stderr.strip()[-300:])
    return json.loads(proc.stdout)


def session_rows() -> list[dict[str, Any]]:
    """Every session row of every configured agent."""
    data = _openclaw_json("sessions", "--all-agents", "--limit", "all")
    return list(data.get("sessions") or [])


def subagent_runs(state_dir: Path) -> dict[str, dict[str, Any]]:
    """``subagents/runs.json`` runs by run id (empty when the file is missing)."""
    path = state_dir / "subagents" / "runs.json"
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")).get("runs") or {})
    except FileNotFoundError:
        return {}


def log_session_changes(before: dict[str, str | None], rows: list[dict[str, Any]]) -> dict[str, str | None]:
    """Log each row whose status changed since ``before``; the new statuses by key."""
    now: dict[str, str | None] = {}
    for row in rows:
        key, status = row["key"], row.get("status")
        now[key] = status
        if key in before and before[key] == status:
            continue
        extra = {
            "session_key": key,
            "session_status": status,
            "aborted_last_run": bool(row.get("abortedLastRun")),
            "agent_id": row.get("agentId"),
        }
        sessions_log.log(level_for(status), "%s is now %s", key, status or "without status", extra=extra)
        if status == "timeout" and row.get("runtimeMs"):
            slog.warning("run hit its time limit", session_status=status, runtime_ms=row["runtimeMs"], session_key=key)
        elif status == "killed" and not row.get("abortedLastRun"):
            # Stopped, but not by a user: worth a line of its own.
            slog.warning("session stopped without an abort", session_status=status, session_key=key)
    return now


def log_run_outcomes(seen: set[str], runs: dict[str, dict[str, Any]]) -> None:
    """Log each subagent run that ended since the last pass."""
    for run_id, run in runs.items():
        outcome = run.get("outcome")
        if run_id in seen or not outcome:
            continue
        seen.add(run_id)
        runs_log.log(
            outcome_level(outcome),
            "run %s ended: %s",
            run_id,
            outcome.get("status"),
            extra={"run_outcome": outcome.get("status"), "ended_reason": run.get("endedReason")},
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clawlog")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between polls")
    parser.add_argument("--logs", type=Path, default=Path("logs"))
    parser.add_argument("--state-dir", type=Path, default=Path(os.environ.get("OPENCLAW_STATE_DIR", "~/.openclaw")).expanduser())
    args = parser.parse_args(argv)
    configure(args.logs)
    statuses: dict[str, str | None] = {}
    seen_runs: set[str] = set()
    while True:
        try:
            statuses = log_session_changes(statuses, session_rows())
        except CliFailed as exc:
            level = logging.WARNING if exc.reason == "timeout" else logging.ERROR
            sessions_log.log(level, "could not list sessions: %s", exc)
        log_run_outcomes(seen_runs, subagent_runs(args.state_dir))
        time.sleep(args.every)


if __name__ == "__main__":
    raise SystemExit(main())
