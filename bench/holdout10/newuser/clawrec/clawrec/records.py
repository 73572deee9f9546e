"""Typed records of what OpenClaw keeps on disk, as msgspec Structs.

Decoding with these is several times faster than json + dicts on a large
store, and a wrong type fails loudly at the edge instead of deep in a report.
"""

from __future__ import annotations

from typing import Literal

import msgspec

# Background task states of `openclaw tasks list --json` that mean it went wrong.
TASK_BAD = frozenset({"failed", "timed_out", "lost"})


class Acp(msgspec.Struct, omit_defaults=True):
    state: Literal["idle", "running", "error"] | None = None
    backend: str | None = None


class Session(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """One session entry: a value of legacy ``sessions.json`` or ``session_nodes.entry_json``."""

    session_id: str
    key: str = ""
    agent_id: str = ""
    updated_at: int = 0
    started_at: int | None = None
    ended_at: int | None = None
    runtime_ms: int | None = None
    status: str | None = None
    aborted_last_run: bool = False
    label: str | None = None
    spawned_by: str | None = None
    model: str | None = None
    total_tokens: int | None = None
    acp: Acp | None = None

    @property
    def ended_badly(self) -> bool:
        return self.status in ("failed", "timeout", "killed")

    @property
    def stopped_by_user(self) -> bool:
        return self.status == "killed" and self.aborted_last_run

    @property
    def acp_broken(self) -> bool:
        return self.acp is not None and self.acp.state == "error"


class Outcome(msgspec.Struct, omit_defaults=True):
    status: Literal["ok", "error", "timeout", "unknown"]
    error: str | None = None


class SubagentRun(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """A run of ``subagents/runs.json`` (its key is the run id)."""

    run_id: str = ""
    child_session_key: str | None = None
    requester_session_key: str | None = None
    created_at: int = 0
    ended_at: int | None = None
    outcome: Outcome | None = None
    ended_reason: str | None = None

    @property
    def timed_out(self) -> bool:
        return self.outcome is not None and self.outcome.status == "timeout"


class RunsFile(msgspec.Struct):
    version: int
    runs: dict[str, SubagentRun] = {}


class Task(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """A background task of ``openclaw tasks list --json``."""

    task_id: str
    status: str
    kind: str | None = None
    session_key: str | None = None
    error: str | None = None

    @property
    def bad(self) -> bool:
        return self.status in TASK_BAD
