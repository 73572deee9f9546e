"""``logging.Filter`` classes and structlog processors keyed by status.

The filters are meant for ``logging.config.dictConfig`` (``"()"`` factories
with keyword arguments), see ``clawlog.config``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, MutableMapping
from typing import Any

from clawlog.levels import PAGE_ON, level_for


class SessionStatusFilter(logging.Filter):
    """Let through only records about sessions whose status is in ``statuses``.

    Records without a ``session_status`` attribute (the watcher's own messages)
    pass when ``keep_plain`` is true.
    """

    def __init__(self, statuses: Iterable[str] = PAGE_ON, keep_plain: bool = False, name: str = "") -> None:
        super().__init__(name)
        self.statuses = frozenset(statuses)
        self.keep_plain = keep_plain

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "session_status", None)
        if status is None:
            return self.keep_plain
        return status in self.statuses


class StoppedByUserFilter(logging.Filter):
    """Drop the INFO lines of sessions a user stopped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "session_status", None) != "killed":
            return True
        return not getattr(record, "aborted_last_run", False)


class RunOutcomeFilter(logging.Filter):
    """Let through subagent runs whose ``outcome.status`` is in ``outcomes``."""

    def __init__(self, outcomes: Iterable[str], name: str = "") -> None:
        super().__init__(name)
        self.outcomes = frozenset(outcomes)

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "run_outcome", None) in self.outcomes


def add_status_level(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: raise the level of an event by its session status.

    ``log.info("session changed", session_status=...)`` of a session that
    failed is rendered as an error; the level is never lowered.
    """
    status = event_dict.get("session_status")
    if status is None:
        return event_dict
    wanted = logging.getLevelName(level_for(status)).lower()
    current = event_dict.get("level", method_name)
    if logging.getLevelName(wanted.upper()) > logging.getLevelName(str(current).upper()):
        event_dict["level"] = wanted
    return event_dict


def tag_problem(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mark events about a session that failed or hit its limit."""
    if event_dict.get("session_status") in PAGE_ON:
        event_dict["problem"] = True
    return event_dict
