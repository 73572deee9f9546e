"""Find OpenClaw sessions stuck after a terminal error and clear them.

A session is stuck when its entry in the agent's sessions.json ended its last
run badly, carries a terminal error of the ``non_d`` family, was aborted, and
has been quiet for longer than a short grace window. Clearing removes the key
(OpenClaw allocates a fresh session on the next message) after a backup, and
every step is appended to a JSONL log of our own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Iterator

STATE = Path(os.environ.get("OPENCLAW_STATE_DIR", "~/.openclaw")).expanduser()
LOG = Path("~/.wedge-sweep/log.jsonl").expanduser()
GRACE_MS = int(os.environ.get("WEDGE_GRACE_MS", "10000"))

BAD_ENDINGS = {"failed", "error"}


def store_path(agent: str) -> Path:
    return STATE / "agents" / agent / "sessions" / "sessions.json"


def load_store(agent: str) -> dict[str, Any]:
    with open(store_path(agent), encoding="utf-8") as fh:
        data = json.load(fh)
    return data if isinstance(data, dict) else {}


def entries(agent: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for key, entry in load_store(agent).items():
        if isinstance(entry, dict):
            yield key, entry


def lookup(agent: str, key: str) -> dict[str, Any] | None:
    entry = load_store(agent).get(key)
    return entry if isinstance(entry, dict) else None


def quiet_for(entry: dict[str, Any], now_ms: int) -> int:
    last = entry.get("lastInteractionAt") or entry.get("updatedAt") or 0
    return now_ms - int(last)


def is_wedged(entry: dict[str, Any], now_ms: int) -> bool:
    status = entry.get("status")
    if status not in BAD_ENDINGS:
        return False
    if not str(entry.get("terminalError") or "").startswith("non_d"):
        return False
    if entry.get("abortedLastRun") is not True:
        return False
    return quiet_for(entry, now_ms) > GRACE_MS


def log(action: str, outcome: str, **extra: Any) -> None:
    LOG.parent.mkdir(parents=True, exist_ok=True)
    record = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "action": action, "outcome": outcome}
    record.update(extra)
    with open(LOG, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


def clear(agent: str, key: str, *, force: bool = False, dry_run: bool = False) -> str:
    entry = lookup(agent, key)
    if entry is None:
        log("skipped", "noop", session_key=key, reason="missing")
        return "noop"
    # The run may have come back between detection and now: a finished run is
    # not ours to retire.
    if not force and entry.get("status") == "done":
        log("skipped", "refused", session_key=key, reason="not-wedged")
        return "refused"
    if not force and not is_wedged(entry, int(time.time() * 1000)):
        log("skipped", "refused", session_key=key, reason="not-wedged")
        return "refused"
    if dry_run:
        return "ok"
    path = store_path(agent)
    try:
        shutil.copy2(path, path.with_name(f"sessions.json.bak.recovery-{int(time.time())}"))
        store = load_store(agent)
        store.pop(key, None)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(store, indent=2), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log("failed", "error", session_key=key, phase="index-mutation", diagnostic=str(exc))
        return "error"
    log("recovered", "ok", session_key=key, session_id=entry.get("sessionId"))
    return "ok"


def sweep(agent: str, *, report_only: bool, limit: int) -> list[str]:
    now = int(time.time() * 1000)
    wedged = [key for key, entry in entries(agent) if is_wedged(entry, now)]
    for key in wedged:
        log("detected", "ok", session_key=key)
    if report_only:
        return wedged
    done = []
    for key in wedged[:limit]:
        if clear(agent, key) == "ok":
            done.append(key)
    return done


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", default="main")
    parser.add_argument("--session-key")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--max", type=int, default=10)
    args = parser.parse_args(argv)
    if args.session_key:
        outcome = clear(args.agent, args.session_key, force=args.force, dry_run=args.dry_run)
        print(outcome)
        return 0 if outcome == "ok" else 1
    for key in sweep(args.agent, report_only=args.report_only or args.dry_run, limit=args.max):
        print(key)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
