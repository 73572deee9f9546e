"""Wire messages built from gateway JSON, and their fixed-width encoding."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from .codes import CHILD_RUN_BY_NAME, ChildRunStatus, SessionStatus, session_status_number

# Statuses after which a session will not move again until someone sends it a
# message; consumers use this to stop polling a key.
SETTLED_NAMES = frozenset({"done", "failed", "killed", "timeout"})

_HEADER = struct.Struct("!HBI")  # version, status number, runtime in ms (clamped)


@dataclass(frozen=True)
class SessionMessage:
    key: str
    status: SessionStatus
    runtime_ms: int = 0
    aborted: bool = False
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "SessionMessage":
        status_name = row.get("status")
        aborted = bool(row.get("abortedLastRun"))
        # Older gateways left the status empty on a user abort; the flag is enough.
        if status_name is None and aborted:
            status_name = "killed"
        labels = {"agent": str(row.get("agentId", "")), "kind": str(row.get("kind", ""))}
        if status_name in SETTLED_NAMES:
            labels["settled"] = "1"
        return cls(
            key=str(row["key"]),
            status=session_status_number(status_name),
            runtime_ms=int(row.get("runtimeMs") or 0),
            aborted=aborted,
            labels=labels,
        )

    def encode(self) -> bytes:
        key = self.key.encode("utf-8")
        head = _HEADER.pack(1, int(self.status), min(self.runtime_ms, 0xFFFFFFFF))
        return head + struct.pack("!H", len(key)) + key


@dataclass(frozen=True)
class ChildRunMessage:
    run_id: str
    status: ChildRunStatus
    error: str = ""

    @classmethod
    def from_wait(cls, child: dict[str, Any]) -> "ChildRunMessage":
        name = str(child.get("status", ""))
        error = str(child.get("error") or "")
        if name == "timeout" and not error:
            error = "wait elapsed before the child run ended"
        return cls(run_id=str(child["runId"]), status=CHILD_RUN_BY_NAME.get(name, ChildRunStatus.CHILD_RUN_UNSPECIFIED), error=error)
