"""Read (and, with the gateway stopped, repair) the session stores on disk."""

from __future__ import annotations

import glob
import json
import os
from pathlib import Path
from typing import Any, Iterator

STATE_DIR = Path(os.environ.get("OPENCLAW_STATE_DIR") or Path.home() / ".openclaw")
STORES = str(STATE_DIR / "agents" / "*" / "sessions" / "sessions.json")


def store_files() -> list[Path]:
    return [Path(p) for p in sorted(glob.glob(STORES))]


def read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def entries() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in store_files():
        for key, entry in read(path).items():
            yield key, entry


def describe(entry: dict[str, Any]) -> str:
    match (entry.get("status") or "").lower():
        case "running":
            return "working"
        case "done":
            return "replied"
        case "failed" | "timeout":
            return "needs a look"
        case "killed":
            return "stopped by a user"
        case _:
            return "never ran"


def mark_stopped(path: Path, key: str) -> bool:
    """Record a run we killed by hand while the gateway was down."""
    store = read(path)
    entry = store.get(key)
    if not isinstance(entry, dict) or entry.get("status") != "running":
        return False
    entry["status"] = "killed"
    entry["abortedLastRun"] = True
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(store, indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return True
