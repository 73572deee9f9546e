"""Loading rows from the openclaw CLI (never the state files: the CLI knows the store)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any

OPENCLAW = "openclaw"

# Background task states that mean the task will not finish by itself.
TASK_DEAD = frozenset({"failed", "timed_out", "lost", "cancelled"})


@dataclass
class LoadResult:
    sessions: list[dict[str, Any]]
    tasks: list[dict[str, Any]]
    # How the load went, for the footer: "ok", "partial" or "failed".
    state: str = "ok"
    message: str = ""


def _run_json(*args: str, timeout: float = 15.0) -> Any:
    proc = subprocess.run([OPENCLAW, *args], capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip() or f"openclaw {args[0]} exited {proc.returncode}")
    return json.loads(proc.stdout or "null")


def load() -> LoadResult:
    try:
        payload = _run_json("sessions", "--json", "--all-agents", "--limit", "all")
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        return LoadResult([], [], state="failed", message=str(exc))
    sessions = payload.get("sessions", []) if isinstance(payload, dict) else []
    try:
        tasks_payload = _run_json("tasks", "list", "--json")
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        return LoadResult(sessions, [], state="partial", message=f"tasks: {exc}")
    tasks = tasks_payload.get("tasks", []) if isinstance(tasks_payload, dict) else tasks_payload or []
    return LoadResult(sessions, tasks)


def dead_tasks_for(session_key: str, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t for t in tasks if t.get("childSessionKey") == session_key and t.get("status") in TASK_DEAD]


def abort(session_key: str) -> bool:
    params = json.dumps({"key": session_key})
    proc = subprocess.run(
        [OPENCLAW, "gateway", "call", "sessions.abort", "--params", params],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode == 0
