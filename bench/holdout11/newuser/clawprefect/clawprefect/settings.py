"""Settings and vocabularies shared by the tasks and the flows."""

from __future__ import annotations

import os
from enum import StrEnum

GATEWAY_URL = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
GATEWAY_TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")


class SessionStatus(StrEnum):
    """A session row's ``status``, as the flows' parameters spell it."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    KILLED = "killed"
    TIMEOUT = "timeout"


# A nightly run is marked Failed when more than this many sessions ended
# in one of these statuses since the last run.
BROKEN = (SessionStatus.FAILED, SessionStatus.TIMEOUT)
MAX_BROKEN = 5

# Background tasks (`openclaw tasks list --json`) that did not finish well.
TASK_BAD = frozenset({"failed", "timed_out", "lost", "cancelled"})

# The gateway errors a task retries on (GatewayError.kind); the rest fail at once.
RETRY_ON = frozenset({"timeout", "unavailable", "rate_limited"})
