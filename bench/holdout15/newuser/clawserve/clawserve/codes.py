"""The numbers other teams use for a session's status, and back."""

from __future__ import annotations

from enum import IntEnum


class StatusCode(IntEnum):
    UNKNOWN = 0
    RUNNING = 1
    DONE = 2
    FAILED = 3
    KILLED = 4
    TIMEOUT = 5


TO_CODE = {
    "running": StatusCode.RUNNING,
    "done": StatusCode.DONE,
    "failed": StatusCode.FAILED,
    "killed": StatusCode.KILLED,
    "timeout": StatusCode.TIMEOUT,
}

FROM_CODE = {
    StatusCode.RUNNING: "running",
    StatusCode.DONE: "done",
    StatusCode.FAILED: "failed",
    StatusCode.KILLED: "killed",
    StatusCode.TIMEOUT: "timeout",
}


def encode(status: str | None) -> int:
    return int(TO_CODE.get(status or "", StatusCode.UNKNOWN))


def decode(code: int) -> str | None:
    try:
        return FROM_CODE.get(StatusCode(code))
    except ValueError:
        return None


# the service's own export jobs, numbered the same way for the other teams
JOB_CODES = {"queued": 0, "running": 1, "done": 2, "failed": 3, "timeout": 4}
