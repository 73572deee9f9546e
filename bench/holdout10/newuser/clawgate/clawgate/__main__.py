"""``python -m clawgate``: fail the CI job when the eval's OpenClaw sessions ended badly."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from . import policy as policy_mod
from . import store, summary


def _run_eval(cmd: list[str], deadline_s: int) -> str:
    try:
        proc = subprocess.run(cmd, timeout=deadline_s, check=False)
    except subprocess.TimeoutExpired:
        return "timeout"
    return "pass" if proc.returncode == 0 else "fail"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clawgate")
    parser.add_argument("--state", type=Path, default=Path(os.environ.get("OPENCLAW_STATE_DIR", "~/.openclaw")))
    parser.add_argument("--pyproject", type=Path, default=Path("pyproject.toml"))
    parser.add_argument("--only", action="append", default=None, metavar="STATUS",
                        choices=["done", "failed", "timeout", "killed"],
                        help="count only these session statuses (repeatable), instead of the policy's")
    parser.add_argument("eval", nargs=argparse.REMAINDER, help="the eval command, after --")
    args = parser.parse_args(argv)

    pol = policy_mod.load(args.pyproject)
    state = args.state.expanduser()
    started_ms = int(time.time() * 1000)

    verdict = "pass"
    if args.eval:
        verdict = _run_eval([a for a in args.eval if a != "--"], pol.deadline_s)

    fail_on = tuple(args.only) if args.only else pol.fail_on
    bad, total = [], 0
    for agent in pol.agents or tuple(store.agents(state)):
        rows = store.sessions_with_status(state, agent, fail_on, since_ms=started_ms if args.eval else 0)
        if not pol.counts_stops:
            rows = [r for r in rows if not (r.get("status") == "killed" and r.get("abortedLastRun"))]
        bad += rows
        total += store.count_all(state, agent, since_ms=started_ms if args.eval else 0)
        if store.still_running(state, agent) and verdict == "pass":
            print(f"::notice::{agent} still has running sessions", file=sys.stderr)

    if verdict == "pass" and bad and (not total or len(bad) / total > pol.max_bad_share):
        verdict = "fail"
    summary.annotate(bad)
    summary.write(verdict, bad, total)
    return {"pass": 0, "fail": 1, "timeout": 2}[verdict]


if __name__ == "__main__":
    sys.exit(main())
