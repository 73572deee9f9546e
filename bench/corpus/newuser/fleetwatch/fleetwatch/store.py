"""Read (and, when asked, fix up) OpenClaw's session store on disk."""

from __future__ import annotations

import glob
import json
import os
from pathlib import Path
from typing import Any, Iterator

STATE_DIR = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))
STORE_GLOB = "agents/*/sessions/sessions.json"


def store_files(state_dir: Path = STATE_DIR) -> list[str]:
    return sorted(glob.glob(str(state_dir / STORE_GLOB)))


def entries(state_dir: Path = STATE_DIR) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in store_files(state_dir):
        agent = Path(path).parts[-3]
        with open(path) as fh:
            store = json.load(fh)
        for key, entry in store.items():
            yield agent, key, entry


def dead_entries(state_dir: Path = STATE_DIR) -> list[str]:
    dead = []
    for _agent, key, entry in entries(state_dir):
        if entry.get("status") in ["failed", "killed", "timeout"]:
            dead.append(key)
    return dead


def mark_stopped(path: str, key: str) -> None:
    """Record that we stopped a session by hand (so the dashboard shows it)."""
    with open(path) as fh:
        store = json.load(fh)
    entry = store[key]
    entry["status"] = "killed"
    entry["abortedLastRun"] = True
    with open(path, "w") as fh:
        json.dump(store, fh, indent=2)


def timed_out_runs(state_dir: Path = STATE_DIR) -> list[str]:
    """Sub-agent runs whose outcome was a timeout (subagents/runs.json)."""
    runs_file = state_dir / "subagents" / "runs.json"
    if not runs_file.exists():
        return []
    runs = json.loads(runs_file.read_text()).get("runs", {})
    return [rid for rid, run in runs.items() if (run.get("outcome") or {}).get("status") == "timeout"]
