"""The plugins that ship with the host; each can be blocked by name in the config."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from . import hookimpl

log = logging.getLogger(__name__)


class Pager:
    """Pages on runs that broke, unless a user stopped them."""

    name = "pager"
    statuses = ("failed", "timeout")

    @hookimpl
    def clawplug_configure(self, config: dict[str, Any]) -> None:
        self.statuses = tuple(config.get("page_on", self.statuses))

    @hookimpl
    def classify(self, row: dict[str, Any]) -> str | None:
        if row.get("abortedLastRun") or row.get("status") == "killed":
            return None
        return "page" if row.get("status") in self.statuses else None


class Retrier:
    """Asks for another run of sessions whose run hit its time limit."""

    name = "retrier"

    @hookimpl(tryfirst=True)
    def classify(self, row: dict[str, Any]) -> str | None:
        if row.get("status") == "timeout" and (row.get("runtimeMs") or 0) < 30 * 60_000:
            return "retry"
        return None


class RunWatch:
    """Logs subagent runs that did not end well (their own outcome words)."""

    name = "runwatch"

    @hookimpl
    def subagent_run_ended(self, run: dict[str, Any]) -> None:
        outcome = (run.get("outcome") or {}).get("status")
        if outcome == "timeout":
            log.warning("subagent run %s ran out of time (%s)", run["runId"], run.get("endedReason"))
        elif outcome == "error":
            log.warning("subagent run %s errored", run["runId"])


class Tally:
    """Keeps running totals of settled sessions across cycles."""

    name = "tally"

    def __init__(self) -> None:
        self.totals: Counter[str] = Counter()

    @hookimpl
    def session_settled(self, row: dict[str, Any], previous: str | None) -> None:
        self.totals[row["status"]] += 1

    @hookimpl
    def report(self, summary: dict[str, int]) -> None:
        bad = self.totals["failed"] + self.totals["timeout"]
        log.info("settled so far: %d, %d of them badly", sum(self.totals.values()), bad)


def defaults(config: dict[str, Any]) -> list[object]:
    """The built-in plugins, in registration order."""
    return [Pager(), Retrier(), RunWatch(), Tally()]
