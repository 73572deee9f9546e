"""Which sessions are owed a retry, and when."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Policy:
    # Session statuses that earn a retry, and the first delay for each (seconds).
    delays: dict[str, float]
    max_attempts: int = 4
    backoff: float = 2.0

    def wants(self, row: dict[str, Any]) -> bool:
        return row.get("status") in self.delays and not row.get("abortedLastRun")

    def first_delay(self, session_status: str) -> float:
        return self.delays[session_status]

    def next_delay(self, session_status: str, attempts: int) -> float:
        return self.delays.get(session_status, 60.0) * self.backoff ** attempts


DEFAULT = Policy(delays={"failed": 30.0, "timeout": 300.0})
# Nightly batch agents: a run that ran out of time is retried at once, errors later.
BATCH = Policy(delays={"timeout": 5.0, "failed": 900.0}, max_attempts=2)
