"""Generic questions answered per record type, with functools.singledispatch."""

from __future__ import annotations

from functools import singledispatch

from .records import CronRun, ExecProcess, SessionRow, SubagentRun

SESSION_WORDS = {
    "running": "still working",
    "queued": "waiting to start",
    "done": "finished",
    "failed": "crashed",
    "killed": "stopped by someone",
    "timeout": "ran out of time",
}

PROCESS_WORDS = {
    "running": "running",
    "completed": "exited",
    "failed": "exited with an error",
    "killed": "was killed",
}


@singledispatch
def needs_rerun(item: object) -> bool:
    """Whether the thing should be tried again."""
    raise TypeError("no rerun rule for %s" % type(item).__name__)


@needs_rerun.register
def _(item: SessionRow) -> bool:
    # A user stop is deliberate: never rerun it.
    return item.status in ("failed", "timeout") and not item.aborted


@needs_rerun.register
def _(item: SubagentRun) -> bool:
    return item.outcome in ("error", "timeout")


@needs_rerun.register
def _(item: CronRun) -> bool:
    return item.status == "error"


@needs_rerun.register
def _(item: ExecProcess) -> bool:
    return item.status == "failed" and item.exit_code not in (0, None)


@singledispatch
def describe(item: object) -> str:
    return repr(item)


@describe.register
def _(item: SessionRow) -> str:
    word = SESSION_WORDS.get(item.status or "", "has no status yet")
    return "%s %s" % (item.key, word)


@describe.register
def _(item: ExecProcess) -> str:
    return "process %s %s" % (item.session_id, PROCESS_WORDS.get(item.status, item.status))


@describe.register
def _(item: SubagentRun) -> str:
    if item.outcome == "timeout":
        return "run %s hit its time limit" % item.run_id
    return "run %s ended %s" % (item.run_id, item.outcome)
