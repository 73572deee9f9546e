"""Sessions from the openclaw CLI, sub-agent runs from the state dir."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

STATE = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))


def sessions() -> list[dict]:
    out = subprocess.run(
        ["openclaw", "sessions", "--all-agents", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    data = json.loads(out)
    return data["sessions"] if isinstance(data, dict) else data


def subagent_runs() -> list[dict]:
    path = STATE / "subagents" / "runs.json"
    if not path.exists():
        return []
    return list(json.loads(path.read_text()).get("runs", {}).values())


def nudge(key: str, text: str) -> str:
    """Send a session a message through the CLI; the agent run's own result."""
    try:
        subprocess.run(
            ["openclaw", "agent", "--session-key", key, "--message", text, "--json"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        return "failed"
    except subprocess.CalledProcessError:
        return "failed"
    return "done"
