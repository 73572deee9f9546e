"""What makes the gate fail, read from ``[tool.clawgate]`` of the repository's pyproject.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

# The gate's own answer. "timeout" is ours: the eval did not finish before the job's deadline.
Verdict = Literal["pass", "fail", "timeout"]

DEFAULT_FAIL_ON = ("failed", "timeout")


@dataclass(frozen=True)
class Policy:
    fail_on: tuple[str, ...] = DEFAULT_FAIL_ON
    allow_user_stops: bool = True
    max_bad_share: float = 0.0
    agents: tuple[str, ...] = ()
    deadline_s: int = 1800
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def counts_stops(self) -> bool:
        """Whether a session a user stopped counts against the eval, not only one the gateway stopped."""
        return "killed" in self.fail_on and not self.allow_user_stops


def load(pyproject: Path) -> Policy:
    if not pyproject.exists():
        return Policy()
    table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("clawgate", {})
    return Policy(
        fail_on=tuple(table.get("fail-on", DEFAULT_FAIL_ON)),
        allow_user_stops=bool(table.get("allow-user-stops", True)),
        max_bad_share=float(table.get("max-bad-share", 0.0)),
        agents=tuple(table.get("agents", ())),
        deadline_s=int(table.get("deadline", 1800)),
        labels=dict(table.get("labels", {})),
    )
