#!/usr/bin/env python3
"""prune_dead.py - drop OpenClaw sessions whose last run ended long ago.

crontab:  17 4 * * *  systemctl --user stop openclaw-gateway && ~/bin/prune_dead.py --days 14; systemctl --user start openclaw-gateway

Handles both store layouts:
  agents/<id>/sessions/sessions.json          (up to 2026.7)
  agents/<id>/agent/openclaw-agent.sqlite     (2026.8 and later)
Never touches a running session. The gateway must be stopped: it owns these files.
Also drops finished subagent runs that timed out from subagents/runs.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import time
from pathlib import Path

STATE = Path(os.environ.get("OPENCLAW_STATE_DIR") or Path.home() / ".openclaw")
DAY = 86400

# a session whose last run ended like this is dead weight after --days
DEAD = ("done", "failed", "killed", "timeout")
# keep these twice as long: someone may still want to read what went wrong
KEEP_LONGER = ["failed"]


def too_old(ended_ms: int | None, days: int, now: float) -> bool:
    return bool(ended_ms) and now - ended_ms / 1000 > days * DAY


def prune_json(store: Path, wanted: set[str], days: int, dry: bool) -> int:
    data = json.loads(store.read_text(encoding="utf-8"))
    now = time.time()
    doomed = []
    for key, entry in data.items():
        st = (entry.get("status") or "").strip().lower()
        if st not in wanted:
            continue
        limit = days * 2 if st in KEEP_LONGER else days
        if too_old(entry.get("endedAt") or entry.get("updatedAt"), limit, now):
            doomed.append(key)
    for key in doomed:
        print(f"  {store.parent.parent.name}: {key} ({data[key].get('status')})")
        if not dry:
            del data[key]
    if doomed and not dry:
        shutil.copy2(store, store.with_name(store.name + ".bak"))
        tmp = store.with_name(store.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        tmp.replace(store)
    return len(doomed)


def prune_sqlite(db: Path, wanted: set[str], days: int, dry: bool) -> int:
    con = sqlite3.connect(db)
    con.execute("PRAGMA foreign_keys = ON")
    now = time.time()
    marks = ",".join("?" * len(wanted))
    rows = con.execute(
        f"SELECT session_key, status, entry_json FROM session_nodes WHERE status IN ({marks})",
        sorted(wanted),
    ).fetchall()
    doomed = []
    for key, status, entry_json in rows:
        entry = json.loads(entry_json or "{}")
        if (entry.get("acp") or {}).get("state") == "running":
            continue  # the ACP runtime still holds it
        limit = days * 2 if status == "failed" else days
        if too_old(entry.get("endedAt"), limit, now):
            doomed.append(key)
    for key in doomed:
        print(f"  {db.parent.parent.name}: {key}")
    if doomed and not dry:
        with con:
            con.executemany("DELETE FROM session_nodes WHERE session_key = ?", [(k,) for k in doomed])
    con.close()
    return len(doomed)


def prune_subagent_runs(path: Path, days: int, dry: bool) -> int:
    """runs.json keeps every subagent run; drop old ones that only timed out."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    runs = doc.get("runs", {})
    now = time.time()
    old = [
        rid for rid, run in runs.items()
        if (run.get("outcome") or {}).get("status") == "timeout" and too_old(run.get("endedAt"), days, now)
    ]
    if old and not dry:
        for rid in old:
            del runs[rid]
        path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return len(old)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--days", type=int, default=14)
    p.add_argument("--only", action="append", choices=["done", "failed", "killed", "timeout"],
                   help="prune only sessions whose last run ended like this (repeatable)")
    p.add_argument("--dry-run", action="store_true")
    args = p.parse_args(argv)
    wanted = set(args.only or DEAD)

    total = 0
    for agent_dir in sorted((STATE / "agents").glob("*")):
        db = agent_dir / "agent" / "openclaw-agent.sqlite"
        store = agent_dir / "sessions" / "sessions.json"
        try:
            if db.exists():
                total += prune_sqlite(db, wanted, args.days, args.dry_run)
            elif store.exists():
                total += prune_json(store, wanted, args.days, args.dry_run)
        except (sqlite3.Error, json.JSONDecodeError, OSError) as e:
            print(f"{agent_dir.name}: skipped ({e})", file=sys.stderr)
    runs = STATE / "subagents" / "runs.json"
    if runs.exists():
        total += prune_subagent_runs(runs, args.days, args.dry_run)
    print(f"{'would prune' if args.dry_run else 'pruned'} {total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
