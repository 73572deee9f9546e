#!/usr/bin/env python3
"""Watch sub-agent sessions and report the ones whose last run went wrong.

Reads `openclaw sessions --json`, looks at sub-agent rows only, and prints a
JSON report; a task table of our own is marked failed for each hit.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

BAD_STATUSES = {"failed", "error", "aborted", "timeout", "timed_out", "cancelled"}
DB = "ops"


def fetch_sessions(active_minutes: int, all_agents: bool) -> dict[str, Any]:
    cmd = ["openclaw", "sessions", "--json", "--active", str(active_minutes)]
    if all_agents:
        cmd.append("--all-agents")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip() or "openclaw sessions exited non-zero")
    return json.loads(proc.stdout)


def still_running(row: dict[str, Any]) -> bool:
    # token totals are only final once the run is over
    return row.get("totalTokens") is None or row.get("totalTokensFresh") is False


def problems(row: dict[str, Any], limit_ms: int) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    if row.get("abortedLastRun") is True:
        found.append({"code": "aborted_last_run", "detail": "abortedLastRun=true"})
    state = str(row.get("status") or row.get("lastStatus") or "").strip().lower()
    if state and state in BAD_STATUSES:
        found.append({"code": "bad_status", "detail": f"status={state}"})
    age = int(row.get("ageMs") or 0)
    if age > limit_ms and still_running(row):
        found.append({"code": "runtime_exceeded", "detail": f"ageMs={age}"})
    return found


def mark_task(session_key: str) -> bool:
    sql = (
        "UPDATE tasks SET status='failed', updated_at=NOW() "
        f"WHERE assigned_to='{session_key.replace(chr(39), chr(39) * 2)}' AND status='in_progress';"
    )
    proc = subprocess.run(["psql", DB, "-X", "-c", sql], capture_output=True, text=True)
    return proc.returncode == 0


def main() -> int:
    ap = argparse.ArgumentParser(description="report sub-agents whose last run went wrong")
    ap.add_argument("--max-runtime-seconds", type=int, default=300)
    ap.add_argument("--active-minutes", type=int, default=1440)
    ap.add_argument("--no-all-agents", dest="all_agents", action="store_false")
    args = ap.parse_args()

    report: dict[str, Any] = {"ok": True, "at": int(time.time() * 1000), "hits": []}
    try:
        rows = list(fetch_sessions(args.active_minutes, args.all_agents).get("sessions") or [])
    except Exception as exc:  # the report says what broke
        report.update(ok=False, error=str(exc))
        print(json.dumps(report, indent=2))
        return 1
    for row in rows:
        key = str(row.get("key") or "")
        if ":subagent:" not in key:
            continue
        for p in problems(row, args.max_runtime_seconds * 1000):
            report["hits"].append({"key": key, "status": row.get("status"), **p, "taskMarked": mark_task(key)})
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
