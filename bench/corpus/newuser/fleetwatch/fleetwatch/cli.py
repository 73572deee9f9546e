"""Read sessions through the `openclaw` command line."""

from __future__ import annotations

import json
import subprocess
from typing import Any


def _run(*args: str) -> Any:
    proc = subprocess.run(["openclaw", *args], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip() or f"openclaw {' '.join(args)} failed")
    out = proc.stdout
    # plugins may log before the JSON
    return json.loads(out[out.find("{"):])


def sessions(all_agents: bool = True) -> list[dict[str, Any]]:
    args = ["sessions", "--json", "--limit", "all"]
    if all_agents:
        args.append("--all-agents")
    return _run(*args).get("sessions", [])


def finished_keys() -> set[str]:
    return {s["key"] for s in sessions() if s.get("status") in ("done", "failed", "timeout", "killed")}


def subagent_summary() -> dict[str, int]:
    """Count sub-agent runs by the state `openclaw subagents` derives for them."""
    data = _run("subagents", "--json")
    summary = {"running": 0, "done": 0, "failed": 0, "timeout": 0}
    for run in data.get("subagents", []):
        state = run.get("status", "unknown")
        if state in summary:
            summary[state] += 1
    return summary
