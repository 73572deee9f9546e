"""Desired state, and the status conditions the operator reports about itself."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

# Session statuses after which a declared session is nudged again.
DEFAULT_RESTART_ON: tuple[str, ...] = ("failed", "timeout")

Phase = Literal["Pending", "Reconciling", "Ready", "Degraded"]
# Outcome of one reconcile action (ours, written to the condition log).
ActionOutcome = Literal["done", "skipped", "failed", "requeued"]


@dataclass(frozen=True)
class SessionSpec:
    name: str
    agent_id: str
    session_key: str
    prompt: str
    restart_on: tuple[str, ...] = DEFAULT_RESTART_ON
    # A user stop is respected unless the spec says otherwise.
    restart_after_kill: bool = False
    max_restarts: int = 3

    @classmethod
    def load(cls, path: Path) -> "SessionSpec":
        raw = json.loads(path.read_text(encoding="utf-8"))
        restart_on = tuple(raw.get("restartOn", DEFAULT_RESTART_ON))
        if raw.get("restartAfterKill"):
            restart_on = (*restart_on, "killed")
        return cls(
            name=raw.get("name", path.stem),
            agent_id=raw.get("agentId", "main"),
            session_key=raw["sessionKey"],
            prompt=raw["prompt"],
            restart_on=restart_on,
            restart_after_kill=bool(raw.get("restartAfterKill")),
            max_restarts=int(raw.get("maxRestarts", 3)),
        )


@dataclass
class Condition:
    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str = ""
    message: str = ""


@dataclass
class SpecStatus:
    phase: Phase = "Pending"
    restarts: int = 0
    last_outcome: ActionOutcome = "skipped"
    conditions: list[Condition] = field(default_factory=list)

    def set_condition(self, cond: Condition) -> None:
        self.conditions = [c for c in self.conditions if c.type != cond.type] + [cond]


def load_all(directory: Path) -> list[SessionSpec]:
    return [SessionSpec.load(p) for p in sorted(directory.glob("*.json"))]
