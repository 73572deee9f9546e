"""Where octop's rows come from: the ``openclaw`` CLI, in JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

OPENCLAW = shutil.which("openclaw") or "openclaw"


class CliError(RuntimeError):
    pass


def _json(*args: str, timeout: float = 30) -> Any:
    try:
        proc = subprocess.run([OPENCLAW, *args, "--json"], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CliError(f"openclaw {args[0]} took longer than {timeout:g}s") from None
    if proc.returncode != 0:
        raise CliError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}")
    return json.loads(proc.stdout)


@dataclass
class Snapshot:
    sessions: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


def snapshot() -> Snapshot:
    snap = Snapshot()
    try:
        snap.sessions = _json("sessions", "--all-agents", "--limit", "all")["sessions"]
        data = _json("tasks", "list")
        snap.tasks = data.get("tasks", []) if isinstance(data, dict) else data
    except (CliError, ValueError, KeyError) as exc:
        snap.error = str(exc)
    return snap


def archive(key: str) -> bool:
    try:
        _json("sessions", "archive", key)
    except CliError:
        return False
    return True
