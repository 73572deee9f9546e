"""``python -m clawduck.cli``: a few tables about the state directory."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from clawduck import queries
from clawduck.db import connect

STATUS_CHOICES = ["running", "done", "failed", "killed", "timeout"]


def _print_rows(rows: list[tuple[object, ...]]) -> None:
    for row in rows:
        print("\t".join("" if v is None else str(v) for v in row))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clawduck", description=__doc__)
    parser.add_argument("--state-dir", type=Path)
    sub = parser.add_subparsers(dest="command", required=True)
    counts = sub.add_parser("counts", help="sessions by status")
    counts.add_argument("--agent")
    find = sub.add_parser("find", help="sessions in some statuses")
    find.add_argument("--status", action="append", choices=STATUS_CHOICES, dest="statuses")
    find.add_argument("--days", type=float, default=7.0)
    sub.add_parser("share", help="share of normal endings per agent")
    sub.add_parser("stopped", help="sessions a user stopped")
    beats = sub.add_parser("heartbeats", help="heartbeat outcomes")
    beats.add_argument("--outcome", default="done", choices=["progress", "done", "blocked", "needs_attention"])
    args = parser.parse_args(argv)

    con = connect(args.state_dir)
    if args.command == "counts":
        for status, n in queries.count_by_status(con, args.agent).items():
            print(f"{status or '-':10} {n}")
    elif args.command == "find":
        since = int((time.time() - args.days * 86400) * 1000)
        _print_rows(queries.sessions_in(con, args.statuses or list(queries.ENDED_BADLY), since))
    elif args.command == "share":
        for agent, share in sorted(queries.finished_share(con).items()):
            print(f"{agent:20} {share:.0%}")
    elif args.command == "stopped":
        _print_rows(queries.stopped_by_user(con))
    else:
        _print_rows(queries.heartbeat_outcomes(con, args.outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
