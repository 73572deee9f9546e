"""Frames from the state directory: session entries, subagent runs, background tasks."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import polars as pl

STATE = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))

# Session statuses whose last run ended without an answer: its tokens bought nothing.
WASTED = ("failed", "timeout", "killed")
# subagents/runs.json outcome.status values of a run that did not finish its task.
RUN_UNFINISHED = ("error", "timeout", "unknown")
# `openclaw tasks list` states of a task that ended badly.
TASK_BAD = ("failed", "timed_out", "lost", "cancelled")

SESSION_COLUMNS = {
    "agent": pl.Utf8, "key": pl.Utf8, "session_id": pl.Utf8, "status": pl.Utf8,
    "model": pl.Utf8, "input_tokens": pl.Int64, "output_tokens": pl.Int64,
    "cost_usd": pl.Float64, "runtime_ms": pl.Int64, "spawned_by": pl.Utf8,
}


def sessions(state: Path = STATE) -> pl.DataFrame:
    rows = []
    for store in sorted(state.glob("agents/*/sessions/sessions.json")):
        agent = store.parent.parent.name
        for key, entry in json.loads(store.read_text(encoding="utf-8")).items():
            rows.append({
                "agent": agent,
                "key": key,
                "session_id": entry.get("sessionId"),
                "status": entry.get("status"),
                "model": entry.get("model"),
                "input_tokens": entry.get("inputTokens") or 0,
                "output_tokens": entry.get("outputTokens") or 0,
                "cost_usd": entry.get("estimatedCostUsd") or 0.0,
                "runtime_ms": entry.get("runtimeMs"),
                "spawned_by": entry.get("spawnedBy"),
            })
    return pl.DataFrame(rows, schema=SESSION_COLUMNS)


def runs(state: Path = STATE) -> pl.DataFrame:
    path = state / "subagents" / "runs.json"
    if not path.exists():
        return pl.DataFrame(schema={"run_id": pl.Utf8, "child_key": pl.Utf8, "outcome": pl.Utf8, "ended_reason": pl.Utf8})
    doc = json.loads(path.read_text(encoding="utf-8"))
    return pl.DataFrame([
        {
            "run_id": run_id,
            "child_key": run.get("childSessionKey"),
            "outcome": (run.get("outcome") or {}).get("status", "unknown"),
            "ended_reason": run.get("endedReason"),
        }
        for run_id, run in doc.get("runs", {}).items()
    ])


def tasks() -> pl.DataFrame:
    out = subprocess.run(["openclaw", "tasks", "list", "--json"], capture_output=True, text=True, check=True).stdout
    payload = json.loads(out)
    items = payload.get("tasks", payload) if isinstance(payload, dict) else payload
    return pl.DataFrame(
        [{"task_id": t.get("taskId"), "child_key": t.get("childSessionKey"), "task_status": t.get("status")} for t in items],
        schema={"task_id": pl.Utf8, "child_key": pl.Utf8, "task_status": pl.Utf8},
    )
