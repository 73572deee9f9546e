"""The guard: every few minutes, stop running sessions of agents far over budget.

    python -m clawbudget.guard --budgets budgets.ini [--dry-run]

It never edits the state directory: stopping goes through the gateway
(``sessions.abort``), and its own record of what it did is a CSV file.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import settings as settings_mod
from .spend import Entry, by_agent, entries, in_window

log = logging.getLogger("clawbudget")

STATE_DIR = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))
LEDGER_FIELDS = ["at", "agent", "key", "usd", "agent_usd", "budget_usd", "action", "result"]


@dataclass
class AbortResult:
    key: str
    kind: str  # "ok", "timeout" (the CLI gave up), "failed" (the gateway said no)
    detail: str = ""


def abort(key: str, wait_ms: int = 10_000) -> AbortResult:
    cmd = [
        "openclaw", "gateway", "call", "sessions.abort",
        "--params", json.dumps({"key": key}), "--timeout", str(wait_ms), "--json",
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=wait_ms / 1000 + 5)
    except subprocess.TimeoutExpired:
        return AbortResult(key, "timeout")
    if proc.returncode != 0:
        return AbortResult(key, "failed", proc.stderr.strip()[:200])
    return AbortResult(key, "ok")


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            with path.open("w", newline="", encoding="utf-8") as fh:
                csv.DictWriter(fh, LEDGER_FIELDS).writeheader()

    def write(self, **row: object) -> None:
        with self.path.open("a", newline="", encoding="utf-8") as fh:
            csv.DictWriter(fh, LEDGER_FIELDS).writerow({"at": int(time.time()), **row})


def tick(cfg: settings_mod.Settings, ledger: Ledger, dry_run: bool) -> dict[str, int]:
    window = in_window(entries(STATE_DIR), cfg.window_hours)
    spend = by_agent(window)
    stats = {"over": 0, "stopped": 0, "errors": 0}
    # What we think each session is doing, for this tick (updated as we stop them).
    live: dict[str, Entry] = {e.key: e for e in window}

    for agent, totals in sorted(spend.items()):
        budget = cfg.budget_for(agent)
        if totals["usd"] <= budget.usd * cfg.hard_factor:
            continue
        stats["over"] += 1
        log.warning("%s spent %.2f USD of %.2f (%.2f on failed runs)", agent, totals["usd"], budget.usd, totals["wasted_usd"])
        if not budget.stop:
            continue
        running = [e for e in live.values() if e.agent == agent and e.status and e.status not in settings_mod.ENDED]
        for e in sorted(running, key=lambda e: -e.usd):
            if dry_run:
                ledger.write(agent=agent, key=e.key, usd=e.usd, agent_usd=totals["usd"],
                             budget_usd=budget.usd, action="would_stop", result="dry_run")
                continue
            res = abort(e.key)
            ledger.write(agent=agent, key=e.key, usd=e.usd, agent_usd=totals["usd"],
                         budget_usd=budget.usd, action="stop", result=res.kind)
            if res.kind == "ok":
                stats["stopped"] += 1
                live[e.key] = e._replace(status="killed")
            elif res.kind == "timeout":
                # The gateway may still act on it; look again next tick.
                log.info("abort of %s still pending", e.key)
            else:
                stats["errors"] += 1
                log.error("abort of %s failed: %s", e.key, res.detail)

    still_running = sum(1 for e in live.values() if e.status not in settings_mod.ENDED)
    log.info("tick: %s, %d sessions still running", stats, still_running)
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(prog="clawbudget.guard")
    parser.add_argument("--budgets", type=Path, required=True)
    parser.add_argument("--ledger", type=Path, default=Path("clawbudget-ledger.csv"))
    parser.add_argument("--every", type=int, default=300)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    stopping = False

    def _stop(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    ledger = Ledger(args.ledger)
    while not stopping:
        cfg = settings_mod.load(args.budgets)  # re-read: edits apply on the next tick
        tick(cfg, ledger, args.dry_run)
        for _ in range(args.every):
            if stopping:
                break
            time.sleep(1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
