"""What the workers read, through the ``openclaw`` CLI on the worker host."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from . import celeryconfig


class CliError(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason} {detail}".strip())
        self.reason = reason


def _run(*args: str, timeout: float = 60) -> Any:
    cmd = [celeryconfig.OPENCLAW_BIN, *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise CliError("timeout", " ".join(cmd)) from exc
    if proc.returncode != 0:
        reason = "busy" if "lock" in proc.stderr.lower() else "error"
        raise CliError(reason, proc.stderr.strip()[:300])
    return json.loads(proc.stdout)


def sessions() -> list[dict[str, Any]]:
    return _run("sessions", "--all-agents", "--limit", "all", "--json").get("sessions", [])


def background_tasks() -> list[dict[str, Any]]:
    data = _run("tasks", "list", "--json")
    return data.get("tasks", data) if isinstance(data, dict) else data


def abort(key: str) -> None:
    _run("gateway", "call", "sessions.abort", "--params", json.dumps({"key": key}), timeout=30)
