"""Composable steps over OpenClaw's state files, in the functools / itertools style."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import partial, reduce
from itertools import chain, groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

Row = dict[str, Any]

status_of = itemgetter("status")
agent_of = itemgetter("agent")


def compose(*fns: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return reduce(lambda f, g: lambda x: g(f(x)), fns, lambda x: x)


def stores(state_dir: Path) -> list[Path]:
    return sorted(state_dir.glob("agents/*/sessions/sessions.json"))


def entries(store: Path) -> Iterator[Row]:
    agent = store.parent.parent.name
    for key, entry in json.loads(store.read_text(encoding="utf-8")).items():
        yield {"agent": agent, "key": key, **entry}


def all_entries(state_dir: Path) -> Iterator[Row]:
    return chain.from_iterable(map(entries, stores(state_dir)))


def subagent_runs(state_dir: Path) -> Iterator[Row]:
    path = state_dir / "subagents" / "runs.json"
    if not path.exists():
        return iter(())
    data = json.loads(path.read_text(encoding="utf-8"))
    return ({"runId": rid, **run} for rid, run in data.get("runs", {}).items())


def where(field: str, allowed: Iterable[str], rows: Iterable[Row]) -> Iterator[Row]:
    allowed = frozenset(allowed)
    return (r for r in rows if r.get(field) in allowed)


ended_badly = partial(where, "status", {"failed", "timeout", "killed"})
finished_ok = partial(where, "status", ("done",))


def outcome_is(value: str, run: Row) -> bool:
    return (run.get("outcome") or {}).get("status") == value


timed_out_runs = partial(filter, partial(outcome_is, "timeout"))


def by_agent(rows: Iterable[Row]) -> dict[str, list[Row]]:
    return {a: list(g) for a, g in groupby(sorted(rows, key=agent_of), key=agent_of)}


def tally(rows: Iterable[Row]) -> Counter[str]:
    return Counter(r.get("status") or "none" for r in rows)


summary = compose(all_entries, tally)
