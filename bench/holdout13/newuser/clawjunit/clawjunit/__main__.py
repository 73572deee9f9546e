"""clawjunit PREFIX [--out report.xml] [--html report.html] [--fail-on STATUS ...]"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .collect import collect
from .junit import suite_xml
from .page import render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clawjunit")
    parser.add_argument("prefix", help="label prefix of the run's sessions")
    parser.add_argument("--out", type=Path, default=Path("openclaw-junit.xml"))
    parser.add_argument("--html", type=Path)
    parser.add_argument(
        "--fail-on",
        nargs="*",
        choices=("failed", "timeout", "killed"),
        default=["failed", "timeout"],
        help="session statuses that fail the job",
    )
    args = parser.parse_args(argv)

    state, rows = collect(args.prefix)
    if state == "timeout":
        print("clawjunit: the openclaw CLI did not answer in time", file=sys.stderr)
        return 3
    if state != "ok":
        print("clawjunit: could not read sessions (%s)" % state, file=sys.stderr)
        return 3
    verdict, tree = suite_xml(args.prefix, rows)
    tree.write(args.out, encoding="utf-8", xml_declaration=True)
    if args.html:
        args.html.write_text(render(args.prefix, verdict, rows), encoding="utf-8")
    bad = [row for row in rows if row.get("status") in args.fail_on]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
