"""Run every registered check, print a JSON report, exit by the worst outcome."""

from __future__ import annotations

import json
import sys
from collections import Counter

from . import checks  # noqa: F401  (the import registers the checks)
from .base import REGISTRY, CheckResult, Context
from .gather import gather

EXIT = {"pass": 0, "warn": 1, "fail": 2}


def report(ctx: Context, results: list[CheckResult]) -> dict[str, object]:
    by_status = Counter(row.get("status") or "none" for row in ctx.sessions)
    return {
        "checks": [{"name": r.name, "outcome": r.outcome, "detail": r.detail} for r in results],
        # The numbers the on-call page graphs, under the names it has always used.
        "sessions": {
            "total": len(ctx.sessions),
            "running": by_status["running"],
            "failed": by_status["failed"],
            "timeout": by_status["timeout"],
            "killed": by_status["killed"],
        },
        "fetch_errors": ctx.fetch_errors,
    }


def main(argv: list[str] | None = None) -> int:
    only = set(argv if argv is not None else sys.argv[1:])
    ctx = gather()
    results = [cls().run(ctx) for name, cls in sorted(REGISTRY.items()) if not only or name in only]
    print(json.dumps(report(ctx, results), indent=2))
    worst = max((EXIT[r.outcome] for r in results), default=0)
    if ctx.fetch_errors.get("sessions") == "timeout":
        worst = max(worst, 1)
    return worst


if __name__ == "__main__":
    sys.exit(main())
