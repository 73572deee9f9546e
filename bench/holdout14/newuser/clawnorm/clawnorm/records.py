"""Dataclasses that tidy what the stores hold as soon as they are built."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

KNOWN = frozenset({"running", "done", "failed", "killed", "timeout"})
ENDED = ("done", "failed", "killed", "timeout")

# spellings older scripts of ours wrote into sessions.json by hand
ALIASES = {"timed_out": "timeout", "error": "failed", "stopped": "killed", "finished": "done"}


@dataclass
class Acp:
    state: str = "idle"
    backend: str | None = None


@dataclass
class Entry:
    key: str
    session_id: str
    status: str | None = None
    aborted_last_run: bool = False
    started_at: int | None = None
    ended_at: int | None = None
    runtime_ms: int | None = None
    acp: Acp | None = None
    extra: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        st = (self.status or "").strip().lower()
        st = ALIASES.get(st, st)
        if st not in KNOWN:
            st = None
        if st is None and self.aborted_last_run and self.ended_at:
            st = "killed"
        self.status = st

    @classmethod
    def from_json(cls, key: str, raw: dict) -> "Entry":
        acp = raw.get("acp")
        return cls(
            key=key,
            session_id=raw.get("sessionId", ""),
            status=raw.get("status"),
            aborted_last_run=bool(raw.get("abortedLastRun")),
            started_at=raw.get("startedAt"),
            ended_at=raw.get("endedAt"),
            runtime_ms=raw.get("runtimeMs"),
            acp=Acp(state=acp.get("state", "idle"), backend=acp.get("backend")) if isinstance(acp, dict) else None,
            extra=raw,
        )

    @cached_property
    def ended(self) -> bool:
        return self.status in ENDED

    @cached_property
    def ended_badly(self) -> bool:
        return self.status in ("failed", "timeout")

    @cached_property
    def stopped_by_user(self) -> bool:
        return self.status == "killed" and self.aborted_last_run

    @cached_property
    def acp_broken(self) -> bool:
        return self.acp is not None and self.acp.state == "error"


@dataclass
class ExecProcess:
    """A background exec session of the `process` tool (its own statuses)."""

    session_id: str
    status: str = "running"
    exit_code: int | None = None
    signal: str | None = None

    def __post_init__(self) -> None:
        if self.status == "completed" and self.exit_code not in (None, 0):
            self.status = "failed"
        if self.signal in ("SIGKILL", "SIGTERM"):
            self.status = "killed"

    @cached_property
    def needs_cleanup(self) -> bool:
        return self.status in ("failed", "killed")


@dataclass
class StandingIntent:
    """A row of standing_intents in the agent database (its own status column)."""

    id: str
    status: str
    text: str = ""

    @cached_property
    def open(self) -> bool:
        return self.status != "done"
