"""Rows from the openclaw CLI, one subprocess per call."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

Row = dict[str, Any]


class CliError(RuntimeError):
    """The openclaw binary is missing, failed, or printed something that is not JSON."""


def _openclaw(*args: str, timeout: float = 30.0) -> Any:
    exe = shutil.which("openclaw")
    if exe is None:
        raise CliError("openclaw is not on PATH")
    try:
        proc = subprocess.run([exe, *args], capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise CliError(f"openclaw {' '.join(args)} took longer than {timeout:.0f}s") from exc
    if proc.returncode != 0:
        raise CliError(proc.stderr.strip() or f"openclaw exited {proc.returncode}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise CliError(f"openclaw printed no JSON: {exc}") from exc


def sessions(agent: str | None = None) -> list[Row]:
    """Every session row, across agents unless one is named.

    ``--all-agents --json`` wraps its rows: ``{stores, allAgents, count, ..., sessions}``.
    """
    args = ["sessions", "--json", "--limit", "all"]
    args += ["--agent", agent] if agent else ["--all-agents"]
    payload = _openclaw(*args)
    return list(payload.get("sessions", [])) if isinstance(payload, dict) else list(payload)


def tasks() -> list[Row]:
    """Background tasks (``openclaw tasks list --json``)."""
    payload = _openclaw("tasks", "list", "--json")
    return list(payload.get("tasks", [])) if isinstance(payload, dict) else list(payload)


def archive(key: str) -> Row:
    """Archive one session through the gateway; the CLI answers ``{ok, operation, results}``."""
    payload = _openclaw("sessions", "archive", key, "--json")
    results = payload.get("results") or [{}]
    return dict(results[0])
