"""The service's mirror of session entries, loaded from each agent's sessions.json."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

STATE = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))
MIRROR = Path(os.environ.get("CLAWSERVE_MIRROR", "mirror.json"))

_rows: dict[str, dict] = {}


def load() -> dict[str, dict]:
    _rows.clear()
    if MIRROR.exists():
        _rows.update(json.loads(MIRROR.read_text()))
    for store in sorted((STATE / "agents").glob("*/sessions/sessions.json")):
        agent = store.parent.parent.name
        for key, entry in json.loads(store.read_text()).items():
            mine = _rows.get(key, {})
            if mine.get("updatedAt", 0) > entry.get("updatedAt", 0):
                continue
            _rows[key] = {"key": key, "agent": agent, **entry}
    return _rows


def save() -> None:
    fd, tmp = tempfile.mkstemp(dir=MIRROR.parent or ".", prefix=".mirror-")
    with os.fdopen(fd, "w") as fh:
        json.dump(_rows, fh)
    os.replace(tmp, MIRROR)


def get(key: str) -> dict | None:
    return _rows.get(key)


def rows() -> list[dict]:
    return list(_rows.values())


def set_status(key: str, status: str) -> None:
    entry = _rows.setdefault(key, {"key": key})
    entry["status"] = status
    entry["updatedAt"] = int(time.time() * 1000)
    save()


def mark_aborted(key: str) -> None:
    entry = _rows.get(key)
    if entry is None:
        return
    entry["abortedLastRun"] = True
    if entry.get("status") in (None, "running"):
        entry["status"] = "killed"
    save()


def stale(minutes: int = 60) -> list[dict]:
    cutoff = time.time() * 1000 - minutes * 60000
    return [e for e in _rows.values() if e.get("status") == "timeout" and e.get("updatedAt", 0) < cutoff]
