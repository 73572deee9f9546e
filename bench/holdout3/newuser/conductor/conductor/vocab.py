"""The words conductor uses, in one place."""
from enum import Enum
from typing import Literal, TypedDict


class RunStatus(str, Enum):
    """`status` of an OpenClaw session row: how the session's last run ended."""

    RUNNING = "running"
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"
    KILLED = "killed"
    TIMEOUT = "timeout"


class JobState(str, Enum):
    """State of a conductor job (our own queue, in jobs.sqlite)."""

    PENDING = "pending"
    ACTIVE = "active"
    DONE = "done"
    FAILED = "failed"


# what sessions_send answers in its `status`
SendStatus = Literal["ok", "accepted", "timeout", "error", "forbidden", "no_reply"]


class SessionRowDict(TypedDict, total=False):
    key: str
    status: str
    startedAt: int
    endedAt: int
    abortedLastRun: bool
    acp: dict


# a run that ended, however it ended: used for session rows, agents_wait children and our jobs
FINAL = ("done", "failed", "timeout", "killed")
RETRYABLE = {RunStatus.FAILED, RunStatus.TIMEOUT}
