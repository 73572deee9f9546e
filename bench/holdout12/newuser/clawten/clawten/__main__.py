"""python -m clawten KEY [KEY ...]: wait for sessions to settle, restart the broken ones once."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from .waits import RESTART_ON, wait_settled


def restart(key: str, message: str) -> int:
    # A new turn in the same session; `openclaw agent` waits for the reply.
    return subprocess.run(["openclaw", "agent", "--session-key", key, "--message", message, "--json"],
                          capture_output=True, text=True, timeout=1200).returncode


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="clawten")
    p.add_argument("keys", nargs="+")
    p.add_argument("--within", type=float, default=900.0, help="seconds to wait for each session")
    p.add_argument("--restart", action="store_true", help="send the nudge to sessions that ended badly")
    p.add_argument("--nudge", default="Your last run stopped early. Please pick up where you left off.")
    p.add_argument("--restart-on", action="append", choices=sorted(RESTART_ON),
                   help="statuses to restart on (default: %s)" % ", ".join(sorted(RESTART_ON)))
    args = p.parse_args(argv)
    restart_on = set(args.restart_on or RESTART_ON)

    report = {}
    worst = 0
    for key in args.keys:
        got = wait_settled(key, args.within)
        report[key] = {"status": got.status, "gaveUp": got.gave_up}
        if got.gave_up:
            worst = max(worst, 2)
        elif got.status in restart_on and args.restart and got.restartable:
            report[key]["restarted"] = restart(key, args.nudge) == 0
        elif got.status != "done":
            worst = max(worst, 1)
    json.dump(report, sys.stdout, indent=2)
    print()
    return worst


if __name__ == "__main__":
    sys.exit(main())
