"""Everything the morning digest reports on, gathered once through the CLI and files."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATE_DIR = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))


def _cli(*args: str) -> Any:
    proc = subprocess.run(["openclaw", *args, "--json"], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(proc.stdout)


@dataclass
class Snapshot:
    sessions: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    automations: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def sessions() -> list[dict[str, Any]]:
    # Every agent, every row: the default would stop at the newest 100.
    return _cli("sessions", "--all-agents", "--limit", "all")["sessions"]


def tasks() -> list[dict[str, Any]]:
    data = _cli("tasks", "list")
    return data["tasks"] if isinstance(data, dict) else data


def automations() -> list[dict[str, Any]]:
    data = _cli("automations", "list")
    return data["jobs"] if isinstance(data, dict) else data


def subagent_runs() -> list[dict[str, Any]]:
    path = STATE_DIR / "subagents" / "runs.json"
    if not path.exists():
        return []
    runs = json.loads(path.read_text(encoding="utf-8")).get("runs", {})
    return [{"runId": run_id, **run} for run_id, run in runs.items()]


def snapshot() -> Snapshot:
    snap = Snapshot()
    for name, getter in (("sessions", sessions), ("tasks", tasks), ("automations", automations), ("runs", subagent_runs)):
        try:
            setattr(snap, name, getter())
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, json.JSONDecodeError, KeyError) as exc:
            snap.errors.append(f"{name}: {exc}")
    return snap
