"""The checks we run every five minutes."""

from __future__ import annotations

from typing import ClassVar

from .base import Check, CheckResult, Context, StatusShareCheck


class BrokenRuns(StatusShareCheck):
    name = "broken-runs"
    statuses: ClassVar[frozenset[str]] = frozenset({"failed", "timeout"})

    def describe(self) -> str:
        return "sessions whose last run failed or ran out of time"


class UserStops(StatusShareCheck):
    name = "user-stops"
    statuses: ClassVar[frozenset[str]] = frozenset({"killed"})
    warn_at = 0.05
    fail_at = 0.50

    def describe(self) -> str:
        return "sessions stopped by a user"


class AbortFlagAgrees(Check):
    """A stopped session should carry abortedLastRun, and only a stopped one."""

    name = "abort-flag"

    def evaluate(self, ctx: Context) -> CheckResult:
        odd = [
            row.get("key", "?")
            for row in ctx.sessions
            if (row.get("status") == "killed") != bool(row.get("abortedLastRun"))
        ]
        if odd:
            return CheckResult(self.name, "warn", "flag and status disagree: " + ", ".join(odd[:5]))
        return CheckResult(self.name, "pass")


class StuckRunning(Check):
    name = "stuck-running"
    limit_ms: ClassVar[int] = 2 * 60 * 60 * 1000

    def evaluate(self, ctx: Context) -> CheckResult:
        stuck = [r for r in ctx.sessions if r.get("status") == "running" and (r.get("runtimeMs") or 0) > self.limit_ms]
        return CheckResult(self.name, "fail" if stuck else "pass", f"{len(stuck)} running for over two hours")


class SubagentTimeouts(Check):
    """Subagent runs that ended on their time limit (outcome.status in runs.json)."""

    name = "subagent-timeouts"
    needs = ("subagent_runs",)

    def evaluate(self, ctx: Context) -> CheckResult:
        late = [r for r in ctx.subagent_runs if (r.get("outcome") or {}).get("status") == "timeout"]
        return CheckResult(self.name, "warn" if late else "pass", f"{len(late)} subagent runs timed out")


class LostTasks(Check):
    name = "lost-tasks"
    needs = ("tasks",)
    bad: ClassVar[tuple[str, ...]] = ("failed", "lost", "timed_out")

    def evaluate(self, ctx: Context) -> CheckResult:
        bad = [t for t in ctx.tasks if t.get("status") in self.bad]
        return CheckResult(self.name, "warn" if bad else "pass", f"{len(bad)} background tasks ended badly")


class ExecLeftovers(Check):
    """Background exec sessions that were killed but are still listed."""

    name = "exec-leftovers"
    needs = ("processes",)

    def evaluate(self, ctx: Context) -> CheckResult:
        left = [p for p in ctx.processes if p.get("status") in ("killed", "failed") and not p.get("exitCode")]
        return CheckResult(self.name, "warn" if left else "pass", f"{len(left)} exec sessions left behind")
