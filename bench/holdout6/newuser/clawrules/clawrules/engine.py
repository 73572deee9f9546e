"""Load rules and match them against the rows of each source."""

from __future__ import annotations

import json
import os
import subprocess
import time
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .defaults import DEFAULT_RULES

SOURCES = ("sessions", "automations", "subagents", "tasks")
ACTIONS = ("notify", "archive", "ignore")


@dataclass(frozen=True)
class Rule:
    name: str
    source: str
    field: str
    values: frozenset[str]
    action: str
    older_than_minutes: float | None = None
    negate: bool = False

    @classmethod
    def from_mapping(cls, m: Mapping[str, Any]) -> Rule:
        if m.get("source") not in SOURCES:
            raise ValueError(f"rule {m.get('name')!r}: source must be one of {', '.join(SOURCES)}")
        if m.get("action", "notify") not in ACTIONS:
            raise ValueError(f"rule {m.get('name')!r}: action must be one of {', '.join(ACTIONS)}")
        negate = "not_in" in m
        return cls(
            name=str(m["name"]),
            source=str(m["source"]),
            field=str(m.get("field", "status")),
            values=frozenset(m["not_in"] if negate else m["in"]),
            action=str(m.get("action", "notify")),
            older_than_minutes=m.get("older_than_minutes"),
            negate=negate,
        )


def load(path: Path | None) -> list[Rule]:
    raw: Iterable[Mapping[str, Any]] = DEFAULT_RULES
    if path is not None and path.exists():
        raw = tomllib.loads(path.read_text(encoding="utf-8")).get("rule", [])
    return [Rule.from_mapping(r) for r in raw]


def pluck(row: Mapping[str, Any], dotted: str) -> Any:
    cur: Any = row
    for part in dotted.split("."):
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur


def _age_minutes(row: Mapping[str, Any], now: float) -> float | None:
    stamp = row.get("updatedAt") or row.get("endedAt") or pluck(row, "state.lastRunAtMs")
    return (now - stamp / 1000) / 60 if stamp else None


def matches(rule: Rule, row: Mapping[str, Any], now: float) -> bool:
    hit = (pluck(row, rule.field) in rule.values) != rule.negate
    if hit and rule.older_than_minutes is not None:
        age = _age_minutes(row, now)
        hit = age is not None and age >= rule.older_than_minutes
    return hit


def _cli(*args: str) -> Any:
    out = subprocess.run(["openclaw", *args, "--json"], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def gather(state_dir: Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """The rows of every source, keyed as the rules name them."""
    state_dir = state_dir or Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))
    runs_file = state_dir / "subagents" / "runs.json"
    runs = json.loads(runs_file.read_text(encoding="utf-8")).get("runs", {}) if runs_file.exists() else {}
    automations = _cli("automations", "list")
    tasks = _cli("tasks", "list")
    return {
        "sessions": _cli("sessions", "--all-agents", "--limit", "all").get("sessions", []),
        "automations": automations.get("jobs", []) if isinstance(automations, dict) else automations,
        "subagents": [{"runId": run_id, **run} for run_id, run in runs.items()],
        "tasks": tasks.get("tasks", []) if isinstance(tasks, dict) else tasks,
    }


def evaluate(
    rules: Iterable[Rule], rows: Mapping[str, list[dict[str, Any]]], now: float | None = None
) -> Iterator[tuple[Rule, dict[str, Any]]]:
    now = now or time.time()
    for rule in rules:
        for row in rows.get(rule.source, []):
            if matches(rule, row, now):
                yield rule, row
