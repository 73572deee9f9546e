"""Session rows from the CLI, sub-agent runs from the state directory."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from .models import ROWS, RUNS, Row, SubagentRun

STATE = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))


def rows() -> list[Row]:
    out = subprocess.run(
        ["openclaw", "sessions", "--all-agents", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    data = json.loads(out)
    raw = data.get("sessions", []) if isinstance(data, dict) else data
    return ROWS.validate_python(raw)


def runs() -> list[SubagentRun]:
    path = STATE / "subagents" / "runs.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    return RUNS.validate_python(list((data.get("runs") or {}).values()))
