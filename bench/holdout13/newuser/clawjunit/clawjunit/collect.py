"""The sessions of one evaluation run, read through the openclaw CLI."""

from __future__ import annotations

import json
import subprocess
from typing import Any, Literal

# How reading the sessions went; not a session status.
CollectState = Literal["ok", "timeout", "unavailable"]


def collect(label_prefix: str, wait: float = 90.0) -> tuple[CollectState, list[dict[str, Any]]]:
    """Rows whose label starts with the run's prefix (eval runs label every session)."""
    try:
        out = subprocess.run(
            ["openclaw", "sessions", "--all-agents", "--limit", "all", "--json"],
            capture_output=True,
            text=True,
            timeout=wait,
        )
    except subprocess.TimeoutExpired:
        return "timeout", []
    except FileNotFoundError:
        return "unavailable", []
    if out.returncode != 0:
        return "unavailable", []
    rows = json.loads(out.stdout).get("sessions", [])
    return "ok", [row for row in rows if str(row.get("label") or "").startswith(label_prefix)]
