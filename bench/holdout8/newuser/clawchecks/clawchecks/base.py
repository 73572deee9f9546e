"""The check base classes and the data every check may look at."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

Outcome = Literal["pass", "warn", "fail"]


@dataclass
class Context:
    """What the gateway told us, gathered once (see gather.py)."""

    sessions: list[dict[str, Any]] = field(default_factory=list)
    subagent_runs: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    processes: list[dict[str, Any]] = field(default_factory=list)
    # Our own fetch problems, by source: "timeout", "http" or "parse".
    fetch_errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    name: str
    outcome: Outcome
    detail: str = ""


REGISTRY: dict[str, type["Check"]] = {}


class Check(ABC):
    """One health check. Concrete subclasses register themselves by ``name``."""

    name: ClassVar[str] = ""
    # The sources a check needs; it is skipped (warn) when one could not be fetched.
    needs: ClassVar[tuple[str, ...]] = ("sessions",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name and not getattr(cls, "__abstractmethods__", None):
            REGISTRY[cls.name] = cls

    def run(self, ctx: Context) -> CheckResult:
        missing = [n for n in self.needs if n in ctx.fetch_errors]
        if missing:
            why = ", ".join(f"{n}: {ctx.fetch_errors[n]}" for n in missing)
            return CheckResult(self.name, "warn", f"not checked ({why})")
        return self.evaluate(ctx)

    @abstractmethod
    def evaluate(self, ctx: Context) -> CheckResult: ...


class StatusShareCheck(Check):
    """Fails when too large a share of the sessions has a status in ``statuses``."""

    statuses: ClassVar[frozenset[str]] = frozenset()
    warn_at: ClassVar[float] = 0.10
    fail_at: ClassVar[float] = 0.25

    @abstractmethod
    def describe(self) -> str: ...

    def evaluate(self, ctx: Context) -> CheckResult:
        total = len(ctx.sessions)
        if not total:
            return CheckResult(self.name, "pass", "no sessions")
        hits = sum(1 for row in ctx.sessions if row.get("status") in self.statuses)
        share = hits / total
        outcome: Outcome = "fail" if share >= self.fail_at else "warn" if share >= self.warn_at else "pass"
        return CheckResult(self.name, outcome, f"{hits}/{total} {self.describe()}")
