"""Everything the shell asks the ``openclaw`` CLI."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any


@dataclass
class CliResult:
    """How one CLI call went: ``state`` is the shell's own word for it."""

    state: str  # "ok", "failed" (non-zero exit), "timeout" (we gave up waiting)
    data: Any = None
    message: str = ""


def _run(args: list[str], wait: float = 60.0) -> CliResult:
    try:
        proc = subprocess.run(["openclaw", *args], capture_output=True, text=True, timeout=wait)
    except subprocess.TimeoutExpired:
        return CliResult("timeout", message="no answer after %.0fs" % wait)
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-1:]
        return CliResult("failed", message=last[0] if last else "exit %d" % proc.returncode)
    try:
        return CliResult("ok", json.loads(proc.stdout or "null"))
    except json.JSONDecodeError as exc:
        return CliResult("failed", message="not JSON: %s" % exc)


def sessions(agent: str | None = None) -> CliResult:
    """Session rows of one agent, or of all of them."""
    scope = ["--agent", agent] if agent else ["--all-agents"]
    result = _run(["sessions", *scope, "--limit", "all", "--json"])
    if result.state == "ok":
        result.data = result.data.get("sessions", [])
    return result


def tasks() -> CliResult:
    """Background tasks (``openclaw tasks list --json``)."""
    result = _run(["tasks", "list", "--json"])
    if result.state == "ok" and isinstance(result.data, dict):
        result.data = result.data.get("tasks", [])
    return result


def abort(key: str) -> CliResult:
    """Stop the session's current run."""
    return _run(["gateway", "call", "sessions.abort", "--params", json.dumps({"key": key}), "--json"], wait=30)
