"""The ledger's events, appended one JSON object a line and never rewritten.

Everything else (the current view of each session, the follow-up tickets) is a
projection folded from this file, so a bug in a projection is fixed by
replaying the log, not by editing it.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Iterable, Iterator


class Kind(str, Enum):
    OBSERVED = "observed"  # a sessions_list row was seen, with its status
    VANISHED = "vanished"  # a key we knew is no longer listed
    ABORT_REQUESTED = "abort_requested"  # we asked the gateway to stop it
    RUN_ENDED = "run_ended"  # a subagent run in subagents/runs.json got an outcome
    TICKET = "ticket"  # a follow-up ticket moved (see table.TICKET_FLOW)


@dataclass(frozen=True)
class Event:
    kind: Kind
    key: str
    status: str | None = None
    at: float = field(default_factory=time.time)
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        raw = asdict(self)
        raw["kind"] = self.kind.value
        return json.dumps(raw, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> "Event":
        raw = json.loads(line)
        return cls(
            kind=Kind(raw["kind"]),
            key=raw["key"],
            status=raw.get("status"),
            at=float(raw["at"]),
            data=raw.get("data") or {},
        )


def observed(row: dict[str, Any]) -> Event:
    """An OBSERVED event from one sessions_list row (a row may have no status)."""
    return Event(
        Kind.OBSERVED,
        row["key"],
        row.get("status"),
        data={
            "aborted": bool(row.get("abortedLastRun")),
            "runtimeMs": row.get("runtimeMs"),
            "updatedAt": row.get("updatedAt"),
        },
    )


def run_ended(run_id: str, run: dict[str, Any]) -> Event:
    """A RUN_ENDED event from a run of subagents/runs.json; its status is the run's outcome."""
    outcome = run.get("outcome") or {}
    return Event(
        Kind.RUN_ENDED,
        run.get("childSessionKey") or run_id,
        outcome.get("status"),
        data={"runId": run_id, "endedReason": run.get("endedReason")},
    )


class Log:
    """An append-only JSONL file; each append is flushed and fsynced."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, events: Iterable[Event]) -> int:
        lines = [e.to_json() + "\n" for e in events]
        if not lines:
            return 0
        with self.path.open("a", encoding="utf-8") as fh:
            fh.writelines(lines)
            fh.flush()
            os.fsync(fh.fileno())
        return len(lines)

    def replay(self) -> Iterator[Event]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield Event.from_json(line)
                except (ValueError, KeyError) as exc:
                    # A torn last line after a crash: stop there, keep what came before.
                    raise SystemExit(f"{self.path}:{number}: unreadable event ({exc})") from None
