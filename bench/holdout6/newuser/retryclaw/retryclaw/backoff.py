"""Retry with capped exponential backoff and full jitter."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import aiohttp

log = logging.getLogger(__name__)

T = TypeVar("T")

# why a call to the gateway did not give an answer
Failure = Literal["timeout", "connect", "throttled", "server", "fatal"]

RETRYABLE: frozenset[Failure] = frozenset({"timeout", "connect", "throttled", "server"})


class GatewayCallError(Exception):
    def __init__(self, kind: Failure, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind: Failure = kind
        self.retry_after = retry_after


@dataclass(frozen=True)
class Policy:
    attempts: int = 5
    base: float = 0.5
    cap: float = 20.0
    retry_on: frozenset[Failure] = field(default_factory=lambda: RETRYABLE)

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap, self.base * 2**attempt))


def classify(exc: BaseException) -> Failure:
    if isinstance(exc, GatewayCallError):
        return exc.kind
    if isinstance(exc, asyncio.TimeoutError):
        return "timeout"
    if isinstance(exc, aiohttp.ClientConnectionError):
        return "connect"
    return "fatal"


async def with_retry(call: Callable[[], Awaitable[T]], policy: Policy) -> T:
    for attempt in range(policy.attempts):
        try:
            return await call()
        except Exception as exc:
            kind = classify(exc)
            if kind not in policy.retry_on or attempt == policy.attempts - 1:
                raise
            wait = getattr(exc, "retry_after", None) or policy.delay(attempt)
            log.debug("attempt %d failed (%s), again in %.1fs", attempt + 1, kind, wait)
            await asyncio.sleep(wait)
    raise RuntimeError("policy.attempts must be at least 1")
