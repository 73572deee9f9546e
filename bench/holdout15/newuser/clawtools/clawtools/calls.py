"""The server's own ledger of tool calls, so an assistant can ask what it did."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

CallState = Literal["running", "done", "failed", "timeout"]


@dataclass
class Call:
    tool: str
    args: dict
    state: CallState = "running"
    started: float = field(default_factory=time.time)
    ended: float | None = None
    note: str = ""


LEDGER: list[Call] = []


def begin(tool: str, args: dict) -> Call:
    call = Call(tool, args)
    LEDGER.append(call)
    return call


def finish(call: Call, ok: bool, note: str = "") -> Call:
    call.state = "done" if ok else "failed"
    call.ended = time.time()
    call.note = note
    return call


def expire(limit_seconds: float = 300.0) -> int:
    now = time.time()
    n = 0
    for call in LEDGER:
        if call.state == "running" and now - call.started > limit_seconds:
            call.state = "timeout"
            n += 1
    return n


def recent_failures() -> list[Call]:
    return [c for c in LEDGER if c.state in ("failed", "timeout")]
