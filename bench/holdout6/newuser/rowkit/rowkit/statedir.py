"""Session entries across a state directory: ``sessions.json`` (up to 2026.7) or SQLite (2026.8+).

``python -m rowkit.statedir [--fix]`` prints what it finds and, with ``--fix``,
ends the JSON entries left ``running`` by a gateway that stopped without
recovering them (a 2026.8+ gateway does that itself on start).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from .session import Session


def state_root() -> Path:
    return Path(os.environ.get("OPENCLAW_STATE_DIR") or Path.home() / ".openclaw")


def _json_stores(root: Path) -> list[Path]:
    return sorted(root.glob("agents/*/sessions/sessions.json"))


def _sqlite_stores(root: Path) -> list[Path]:
    return sorted(root.glob("agents/*/agent/openclaw-agent.sqlite"))


def _readonly(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def iter_entries(root: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(agent id, session key, entry)`` for every stored session."""
    for store in _json_stores(root):
        agent = store.parent.parent.name
        for key, entry in json.loads(store.read_text(encoding="utf-8")).items():
            yield agent, key, entry
    for db in _sqlite_stores(root):
        agent = db.parent.parent.name
        with closing(_readonly(db)) as conn:
            for key, entry_json in conn.execute("SELECT session_key, entry_json FROM session_nodes"):
                yield agent, key, json.loads(entry_json)


def sessions(root: Path) -> list[Session]:
    return [Session.from_row({"key": key, **entry}, agent) for agent, key, entry in iter_entries(root)]


def count_in_sqlite(root: Path, status: str) -> int:
    total = 0
    for db in _sqlite_stores(root):
        with closing(_readonly(db)) as conn:
            total += conn.execute("SELECT count(*) FROM session_nodes WHERE status = ?", (status,)).fetchone()[0]
    return total


def end_orphans(root: Path, write: bool = False) -> list[str]:
    """JSON entries still ``running``: end them as failed runs, as restart recovery would."""
    ended: list[str] = []
    for store in _json_stores(root):
        data = json.loads(store.read_text(encoding="utf-8"))
        touched = False
        for key, entry in data.items():
            if entry.get("status") == "running" and (entry.get("acp") or {}).get("state") != "running":
                entry["status"] = "failed"
                entry["abortedLastRun"] = False
                touched = True
                ended.append(key)
        if touched and write:
            fd, tmp = tempfile.mkstemp(dir=store.parent, prefix=".sessions.", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=2)
            os.replace(tmp, store)
    return ended


def main(argv: list[str]) -> int:
    root = state_root()
    found = sessions(root)
    by_status = Counter(s.status or "-" for s in found)
    print(f"{len(found)} sessions: " + ", ".join(f"{n} {st}" for st, n in by_status.most_common()))
    timed_out = count_in_sqlite(root, "timeout")
    print(f"timed out (SQLite column): {timed_out}")
    for key in end_orphans(root, write="--fix" in argv):
        print(f"ended {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
