"""Morning report: OpenClaw sessions whose last run went wrong, and our export jobs.

Run from cron once a night. Sessions come from ``openclaw sessions --json`` and,
for what the CLI leaves out, straight from each agent's SQLite store (read-only).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple

STATE = Path.home() / ".openclaw"
EXPORTS = Path.home() / "exports" / "jobs.json"
SLOW_MS = 30 * 60 * 1000

# Both our export jobs and OpenClaw sessions end this way.
FINISHED = ("done", "failed")


class Ended(NamedTuple):
    key: str
    status: str
    runtime_ms: int


def cli_sessions() -> list[dict[str, Any]]:
    proc = subprocess.run(["openclaw", "sessions", "--json", "--all-agents", "--limit", "all"],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout).get("sessions", [])


def ended(rows: Iterable[dict[str, Any]]) -> Iterator[Ended]:
    for row in rows:
        status = (row.get("status") or "").strip()
        if status in FINISHED:
            yield Ended(str(row.get("key")), status, int(row.get("runtimeMs") or 0))


def agent_dbs() -> list[Path]:
    return sorted(STATE.glob("agents/*/agent/openclaw-agent.sqlite"))


def stopped_and_stalled(db: Path) -> tuple[list[str], list[str]]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        stopped = [r[0] for r in con.execute(
            "SELECT session_key FROM session_nodes WHERE status = ?", ("killed",))]
        stalled = []
        for key, raw in con.execute("SELECT session_key, entry_json FROM session_nodes"):
            entry = json.loads(raw or "{}")
            if entry.get("status") == "timeout":
                stalled.append(key)
    finally:
        con.close()
    return stopped, stalled


def export_jobs() -> list[dict[str, Any]]:
    if not EXPORTS.exists():
        return []
    return [job for job in json.loads(EXPORTS.read_text()) if job.get("state") in FINISHED]


def main() -> int:
    report: dict[str, list[Any]] = {"broken": [], "slow": [], "stopped": [], "stalled": [], "jobs_failed": []}
    for item in ended(cli_sessions()):
        if item.status == "failed":
            report["broken"].append(item.key)
        elif item.runtime_ms > SLOW_MS:
            report["slow"].append(item._asdict())
    for db in agent_dbs():
        stopped, stalled = stopped_and_stalled(db)
        report["stopped"] += stopped
        report["stalled"] += stalled
    report["jobs_failed"] = [job["id"] for job in export_jobs() if job["state"] == "failed"]
    json.dump(report, sys.stdout, indent=2)
    print()
    return 1 if report["broken"] or report["jobs_failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
