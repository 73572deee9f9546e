"""The checks CI runs after the agent suite, and the exit code."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

from . import fetch
from .models import Check, Row

# how many sessions of each status the suite tolerates; a team can override
# these in clawcheck.toml under [limits], with the same names
LIMITS = {"failed": 0, "timeout": 1, "killed": 0}


def limits(path: Path = Path("clawcheck.toml")) -> dict[str, int]:
    merged = dict(LIMITS)
    if path.exists():
        merged.update(tomllib.loads(path.read_text()).get("limits", {}))
    return merged


def check_statuses(rows: list[Row], allowed: dict[str, int]) -> list[Check]:
    checks = []
    for status, most in allowed.items():
        n = sum(1 for r in rows if r.status == status)
        verdict = "passed" if n <= most else "failed"
        checks.append(Check(name="sessions " + status, verdict=verdict, detail="%d of at most %d" % (n, most)))
    return checks


def check_user_stops(rows: list[Row]) -> Check:
    stopped = [r.key for r in rows if r.status == "killed" and r.aborted_last_run]
    if stopped:
        return Check(name="no user stops", verdict="failed", detail=", ".join(stopped))
    return Check(name="no user stops", verdict="passed")


def check_finished(rows: list[Row], label: str) -> Check:
    mine = [r for r in rows if r.label == label]
    if not mine:
        return Check(name="suite ran", verdict="skipped", detail="no session labelled " + label)
    unfinished = [r.key for r in mine if r.status != "done"]
    return Check(name="suite finished", verdict="failed" if unfinished else "passed", detail=", ".join(unfinished))


def check_subagents() -> Check:
    late = [r.run_id for r in fetch.runs() if r.outcome.status == "timeout"]
    return Check(name="sub-agents in time", verdict="failed" if late else "passed", detail=", ".join(late))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    label = argv[0] if argv else "ci-suite"
    rows = fetch.rows()
    checks = check_statuses(rows, limits())
    checks += [check_user_stops(rows), check_finished(rows, label), check_subagents()]
    print(json.dumps([c.model_dump() for c in checks], indent=2))
    return 1 if any(c.verdict == "failed" for c in checks) else 0


if __name__ == "__main__":
    raise SystemExit(main())
