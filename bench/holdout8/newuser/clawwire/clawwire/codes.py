"""Enum numbers for everything the bridge puts on the wire.

Numbers are part of the wire format: never renumber, only append.
"""

from __future__ import annotations

from enum import IntEnum


class SessionStatus(IntEnum):
    """``status`` of an OpenClaw session row (its last run)."""

    SESSION_STATUS_UNSPECIFIED = 0
    SESSION_STATUS_RUNNING = 1
    SESSION_STATUS_DONE = 2
    SESSION_STATUS_FAILED = 3
    SESSION_STATUS_KILLED = 4
    SESSION_STATUS_TIMEOUT = 5
    SESSION_STATUS_QUEUED = 6


# Gateway spelling -> wire number. Rows without a status (or with one we do
# not know yet) go out as UNSPECIFIED.
SESSION_STATUS_BY_NAME: dict[str, SessionStatus] = {
    "running": SessionStatus.SESSION_STATUS_RUNNING,
    "done": SessionStatus.SESSION_STATUS_DONE,
    "failed": SessionStatus.SESSION_STATUS_FAILED,
    "killed": SessionStatus.SESSION_STATUS_KILLED,
    "timeout": SessionStatus.SESSION_STATUS_TIMEOUT,
    "queued": SessionStatus.SESSION_STATUS_QUEUED,
}


class ChildRunStatus(IntEnum):
    """Per-child status of an ``agents_wait`` answer (run level, not the session's)."""

    CHILD_RUN_UNSPECIFIED = 0
    CHILD_RUN_DONE = 1
    CHILD_RUN_FAILED = 2
    CHILD_RUN_KILLED = 3
    CHILD_RUN_TIMEOUT = 4


CHILD_RUN_BY_NAME: dict[str, ChildRunStatus] = {
    "done": ChildRunStatus.CHILD_RUN_DONE,
    "failed": ChildRunStatus.CHILD_RUN_FAILED,
    "killed": ChildRunStatus.CHILD_RUN_KILLED,
    "timeout": ChildRunStatus.CHILD_RUN_TIMEOUT,
}


class BridgeError(IntEnum):
    """Why a bridge call did not produce an answer (our own, sent in the trailer)."""

    OK = 0
    GATEWAY_UNREACHABLE = 1
    GATEWAY_TIMEOUT = 2
    GATEWAY_REFUSED = 3
    BAD_REQUEST = 4


# The bridge's own failure kinds (see bridge._call) -> trailer number.
BRIDGE_ERROR_BY_KIND: dict[str, BridgeError] = {
    "unreachable": BridgeError.GATEWAY_UNREACHABLE,
    "timeout": BridgeError.GATEWAY_TIMEOUT,
    "refused": BridgeError.GATEWAY_REFUSED,
    "bad_request": BridgeError.BAD_REQUEST,
}


def session_status_number(name: str | None) -> SessionStatus:
    """Wire number of a gateway status string; UNSPECIFIED for none or unknown."""
    if not name:
        return SessionStatus.SESSION_STATUS_UNSPECIFIED
    return SESSION_STATUS_BY_NAME.get(name.strip().lower(), SessionStatus.SESSION_STATUS_UNSPECIFIED)
