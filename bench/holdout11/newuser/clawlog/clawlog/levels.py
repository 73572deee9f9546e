"""Which level each session status is logged at.

The watcher logs every status change of a session row. A run that ended badly
is an ERROR, a time limit a WARNING (the agent may just have been slow), a
stop asked by a user only INFO.
"""

from __future__ import annotations

import logging

LEVEL_BY_STATUS: dict[str, int] = {
    "queued": logging.DEBUG,
    "running": logging.DEBUG,
    "done": logging.INFO,
    "failed": logging.ERROR,
    "timeout": logging.WARNING,
    "killed": logging.INFO,
}

# Subagent runs (subagents/runs.json, outcome.status) are logged by the same
# watcher, on their own logger.
LEVEL_BY_OUTCOME: dict[str, int] = {
    "ok": logging.INFO,
    "error": logging.ERROR,
    "timeout": logging.WARNING,
    "unknown": logging.WARNING,
}

# The statuses worth a page: the on-call handler only lets these through.
PAGE_ON = ("failed", "timeout")


def level_for(status: str | None) -> int:
    """The level a change to ``status`` is logged at (a row without one: DEBUG)."""
    if status is None:
        return logging.DEBUG
    return LEVEL_BY_STATUS.get(status, logging.WARNING)


def outcome_level(outcome: dict[str, object] | None) -> int:
    """The level of a subagent run's outcome."""
    status = (outcome or {}).get("status")
    return LEVEL_BY_OUTCOME.get(str(status), logging.WARNING)
