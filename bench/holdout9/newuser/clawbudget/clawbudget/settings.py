"""Budgets, from an INI file the team edits by hand.

    [budget]
    window_hours = 24
    default_usd = 5.00
    # stop a running session once its agent is over budget by this factor
    hard_factor = 1.25

    [agent:research]
    usd = 20

    [agent:cron-digest]
    usd = 1.50
    stop = no
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass, field
from pathlib import Path

# A session whose last run ended this way costs nothing more: the guard only
# counts its spend, it never stops it.
ENDED = ("done", "failed", "timeout", "killed")

# Spend on runs that produced nothing useful, reported separately.
WASTED = frozenset({"failed", "timeout"})


@dataclass(frozen=True)
class AgentBudget:
    agent: str
    usd: float
    stop: bool = True


@dataclass(frozen=True)
class Settings:
    window_hours: float = 24.0
    default_usd: float = 5.0
    hard_factor: float = 1.25
    agents: dict[str, AgentBudget] = field(default_factory=dict)

    def budget_for(self, agent: str) -> AgentBudget:
        return self.agents.get(agent) or AgentBudget(agent, self.default_usd)


def load(path: Path) -> Settings:
    cp = configparser.ConfigParser(inline_comment_prefixes=("#", ";"))
    if not cp.read(path, encoding="utf-8"):
        raise SystemExit(f"{path}: no such budget file")
    base = cp["budget"] if cp.has_section("budget") else cp[cp.default_section]
    agents = {}
    for section in cp.sections():
        if not section.startswith("agent:"):
            continue
        name = section.split(":", 1)[1]
        sec = cp[section]
        agents[name] = AgentBudget(
            name,
            sec.getfloat("usd", fallback=base.getfloat("default_usd", 5.0)),
            sec.getboolean("stop", fallback=True),
        )
    return Settings(
        window_hours=base.getfloat("window_hours", 24.0),
        default_usd=base.getfloat("default_usd", 5.0),
        hard_factor=base.getfloat("hard_factor", 1.25),
        agents=agents,
    )
