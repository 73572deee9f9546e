"""The words each kind of record uses for its status, and the ones that end it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, Literal, Protocol, TypeVar, runtime_checkable

S = TypeVar("S", bound=str)


@runtime_checkable
class HasStatus(Protocol):
    @property
    def status(self) -> str | None: ...


R = TypeVar("R", bound=HasStatus)


class Vocabulary(Generic[S]):
    """One kind of record's status words; ``final`` are those after which nothing runs."""

    def __init__(self, name: str, words: Iterable[S], final: Iterable[S]) -> None:
        self.name = name
        self.words: frozenset[S] = frozenset(words)
        self.final: frozenset[S] = frozenset(final)
        if not self.final <= self.words:
            raise ValueError(f"{name}: final words {sorted(self.final - self.words)} are not words")

    def check(self, value: str) -> S:
        if value not in self.words:
            raise ValueError(f"{value!r} is not a {self.name} status (one of {', '.join(sorted(self.words))})")
        return value  # type: ignore[return-value]

    def is_final(self, value: str | None) -> bool:
        return value in self.final

    def split(self, records: Iterable[R]) -> tuple[list[R], list[R]]:
        """``(ended, live)``: records whose status is final, and the others."""
        ended: list[R] = []
        live: list[R] = []
        for record in records:
            (ended if self.is_final(record.status) else live).append(record)
        return ended, live


SessionStatus = Literal["queued", "running", "done", "failed", "killed", "timeout"]
TaskStatus = Literal["queued", "running", "succeeded", "failed", "timed_out", "cancelled", "lost"]
ProcessStatus = Literal["running", "completed", "failed", "killed"]

SESSION: Vocabulary[SessionStatus] = Vocabulary(
    "session",
    ("queued", "running", "done", "failed", "killed", "timeout"),
    final=("done", "failed", "killed", "timeout"),
)
TASK: Vocabulary[TaskStatus] = Vocabulary(
    "task",
    ("queued", "running", "succeeded", "failed", "timed_out", "cancelled", "lost"),
    final=("succeeded", "failed", "timed_out", "cancelled", "lost"),
)
PROCESS: Vocabulary[ProcessStatus] = Vocabulary(
    "process",
    ("running", "completed", "failed", "killed"),
    final=("completed", "failed", "killed"),
)
