"""The records, and the cattrs converter that builds them from stored entries."""

from __future__ import annotations

import enum
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override


class Status(enum.Enum):
    """The status of a session's last run, as the agent's store keeps it."""

    RUNNING = "running"
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"
    KILLED = "killed"
    TIMEOUT = "timeout"


@attrs.frozen
class Acp:
    state: str = "idle"
    agent: str | None = None


@attrs.frozen
class Entry:
    key: str
    session_id: str
    status: Status | None = None
    aborted_last_run: bool = False
    updated_at: int = 0
    model: str | None = None
    acp: Acp | None = None


converter = cattrs.Converter()


def _status(value: Any, _: type) -> Status | None:
    # Entries written by a newer gateway may hold words this version does not know.
    try:
        return Status(value)
    except ValueError:
        return None


converter.register_structure_hook(Status, _status)
converter.register_structure_hook(
    Entry,
    make_dict_structure_fn(
        Entry,
        converter,
        session_id=override(rename="sessionId"),
        aborted_last_run=override(rename="abortedLastRun"),
        updated_at=override(rename="updatedAt"),
    ),
)
