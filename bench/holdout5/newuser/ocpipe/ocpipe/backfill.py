"""Backfill ``status`` in old ``sessions.json`` entries that were written before it existed.

    python -m ocpipe.backfill ~/.openclaw [--write]

An entry that ended without a status gets one from what it recorded: stopped by the
user if ``abortedLastRun``, else finished. Each file is written back beside a backup.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from .steps import Row, all_entries, by_agent, ended_badly, stores, subagent_runs, summary, timed_out_runs


def backfilled(entry: Row) -> str | None:
    if entry.get("status") or not entry.get("endedAt"):
        return None
    if entry.get("abortedLastRun"):
        return "killed"
    if (entry.get("acp") or {}).get("state") == "error":
        return "failed"
    return "done"


def backfill_store(path: Path, write: bool) -> int:
    data = json.loads(path.read_text(encoding="utf-8"))
    changed = 0
    for entry in data.values():
        new = backfilled(entry)
        if new is not None:
            entry["status"] = new
            changed += 1
    if changed and write:
        shutil.copy2(path, path.with_suffix(".json.bak"))
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("state_dir", type=Path)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    results: list[tuple[Path, str, int]] = []
    for store in stores(args.state_dir):
        try:
            results.append((store, "ok", backfill_store(store, args.write)))
        except (OSError, ValueError) as exc:
            print(f"{store}: {exc}", file=sys.stderr)
            results.append((store, "failed", 0))
    for store, how, n in results:
        print(f"{store}: {how}, {n} entr{'y' if n == 1 else 'ies'} {'backfilled' if args.write else 'to backfill'}")
    print("statuses now:", dict(summary(args.state_dir)))
    for agent, rows in by_agent(ended_badly(all_entries(args.state_dir))).items():
        print(f"  {agent}: {len(rows)} ended badly")
    print("subagent runs that timed out:", sum(1 for _ in timed_out_runs(subagent_runs(args.state_dir))))
    return 1 if any(how == "failed" for _, how, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())
