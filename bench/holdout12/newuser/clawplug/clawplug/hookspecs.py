"""The hooks a plugin may implement."""

from __future__ import annotations

from typing import Any, Literal

import pluggy

hookspec = pluggy.HookspecMarker("clawplug")

# What a plugin says should happen about a session that settled.
Action = Literal["page", "ticket", "retry", "ignore"]

# The host's own record of how calling one plugin went.
CallState = Literal["done", "failed", "skipped"]


@hookspec
def clawplug_configure(config: dict[str, Any]) -> None:
    """Called once with the host's configuration (the ``[tool.clawplug]`` table)."""


@hookspec
def session_settled(row: dict[str, Any], previous: str | None) -> None:
    """A session's run stopped: ``row`` is its sessions row, ``previous`` the status seen before."""


@hookspec(firstresult=True)
def classify(row: dict[str, Any]) -> Action | None:
    """The first plugin to answer decides what happens to a settled session."""


@hookspec
def subagent_run_ended(run: dict[str, Any]) -> None:
    """A run in ``subagents/runs.json`` got an outcome since the last look."""


@hookspec
def report(summary: dict[str, int]) -> None:
    """The end-of-cycle counts, by session status."""
