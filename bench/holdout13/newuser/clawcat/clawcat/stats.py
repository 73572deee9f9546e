"""A morning summary of the entries, printed by the team's cron job."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from .load import entries, finished_heartbeats
from .model import Status


def summary(state_dir: Path) -> str:
    by_status: Counter[Status | None] = Counter()
    acp_errors = 0
    for _agent, entry in entries(state_dir):
        by_status[entry.status] += 1
        if entry.acp is not None and entry.acp.state == "error":
            acp_errors += 1
    lines = ["%-10s %d" % (status.value if status else "-", n) for status, n in by_status.most_common()]
    stopped = by_status[Status("killed")]
    if stopped:
        lines.append("%d stopped by hand" % stopped)
    if acp_errors:
        lines.append("%d ACP sessions in error" % acp_errors)
    for db in sorted(state_dir.glob("agents/*/agent/openclaw-agent.sqlite")):
        lines.append("%s: %d heartbeats finished" % (db.parent.parent.name, len(finished_heartbeats(db))))
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.home() / ".openclaw"))
