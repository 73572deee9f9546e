"""Probes: each answers ``(outcome, payload)``, outcome one of ``ok``/``timeout``/``error``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import anyio

Outcome = Literal["ok", "timeout", "error"]


async def cli_json(*args: str, limit: float = 30.0) -> tuple[Outcome, Any]:
    try:
        with anyio.fail_after(limit):
            proc = await anyio.run_process(["openclaw", *args, "--json"], check=False)
    except TimeoutError:
        return "timeout", None
    if proc.returncode != 0:
        return "error", proc.stderr.decode(errors="replace").strip()
    return "ok", json.loads(proc.stdout)


async def sessions() -> tuple[Outcome, Any]:
    return await cli_json("sessions", "--all-agents", "--limit", "all", limit=45.0)


async def subagent_runs(state_dir: Path) -> dict[str, dict[str, Any]]:
    path = anyio.Path(state_dir) / "subagents" / "runs.json"
    if not await path.exists():
        return {}
    doc = json.loads(await path.read_text(encoding="utf-8"))
    return dict(doc.get("runs", {}))


async def gateway_health() -> tuple[Outcome, Any]:
    return await cli_json("health", limit=10.0)
