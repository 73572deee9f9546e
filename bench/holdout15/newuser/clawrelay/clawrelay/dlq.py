"""Events the producer could not deliver, kept on disk and retried."""

from __future__ import annotations

import json
import time
from pathlib import Path

PARKED = Path("parked.jsonl")

# a parked event's own retry state
RETRY_STATES = ("waiting", "done", "failed")
MAX_ATTEMPTS = 5


def park(topic: str, event: dict, reason: str) -> None:
    entry = {"topic": topic, "event": event, "reason": reason, "attempts": 0, "state": "waiting", "at": time.time()}
    with PARKED.open("a") as fh:
        fh.write(json.dumps(entry) + "\n")


def load() -> list[dict]:
    if not PARKED.exists():
        return []
    return [json.loads(line) for line in PARKED.read_text().splitlines() if line.strip()]


def pending() -> list[dict]:
    return [e for e in load() if e["state"] not in ("done", "failed")]


def mark(entry: dict, delivered: bool) -> dict:
    entry["attempts"] += 1
    if delivered:
        entry["state"] = "done"
    elif entry["attempts"] >= MAX_ATTEMPTS:
        entry["state"] = "failed"
    return entry


def parked_stops() -> list[dict]:
    """Parked events about sessions a user stopped (the ops team replays these first)."""
    return [e for e in load() if e["event"].get("status") == "killed"]
