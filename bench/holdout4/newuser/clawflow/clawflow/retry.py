"""When a session is worth running again, and how long to wait first."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# How the last run of a session ended (the row's `status`).
RETRYABLE = frozenset({"failed", "timeout"})
STOPPED_BY_USER = "killed"


@dataclass
class RetryPolicy:
    max_attempts: int = 3
    base_delay: float = 5.0
    max_delay: float = 300.0
    retry_on: frozenset[str] = field(default=RETRYABLE)
    attempts: dict[str, int] = field(default_factory=dict)

    def should_retry(self, key: str, status: str | None) -> bool:
        if status is None or status == STOPPED_BY_USER:
            return False
        if status not in self.retry_on:
            return False
        return self.attempts.get(key, 0) < self.max_attempts

    def record(self, key: str) -> float:
        """Count one more attempt for `key` and return the delay before it."""
        n = self.attempts[key] = self.attempts.get(key, 0) + 1
        delay = min(self.max_delay, self.base_delay * 2 ** (n - 1))
        return delay * random.uniform(0.8, 1.2)

    def forget(self, key: str) -> None:
        self.attempts.pop(key, None)


def transport_backoff(kind: str, attempt: int) -> float | None:
    """Delay before reconnecting after a GatewayError of this kind, None to give up."""
    if kind == "timeout":
        return min(60.0, 2.0 * attempt)
    if kind == "closed":
        return 1.0
    return None
