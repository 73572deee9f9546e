#!/usr/bin/env python3
"""Inspect one OpenClaw session of the project's daemon agent, or reset it.

The report joins the session's entry in the agent's sessions.json with the
project's own task store: which of our tasks still run on that session. A reset
archives the transcript, writes a fresh entry that keeps the routing and model
fields, and can fail one of our tasks on the way.
"""
from __future__ import annotations

import argparse
import json
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from project_config import daemon_agent_id, project_root
from taskstore import TaskStore

KEEP_ON_RESET = (
    "chatType", "channel", "deliveryContext", "origin", "lastChannel", "lastTo",
    "label", "spawnedBy", "spawnDepth", "model", "modelProvider", "contextTokens",
    "thinkingLevel", "verboseLevel", "queueMode", "acp",
)
SETTLED = {"done", "failed", "cancelled"}


@dataclass(frozen=True)
class StorePaths:
    store: Path
    sessions: Path
    archive: Path

    @classmethod
    def for_agent(cls, agent_id: str) -> "StorePaths":
        sessions = Path.home() / ".openclaw" / "agents" / agent_id / "sessions"
        return cls(store=sessions / "sessions.json", sessions=sessions, archive=sessions / "archive")


def now_ms() -> int:
    return int(datetime.now(tz=timezone.utc).timestamp() * 1000)


def read_store(paths: StorePaths) -> dict[str, Any]:
    if not paths.store.exists():
        return {}
    data = json.loads(paths.store.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{paths.store}: not a JSON object")
    return data


def write_store(paths: StorePaths, data: dict[str, Any]) -> None:
    paths.store.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def tasks_on(store: TaskStore, session_key: str) -> list[str]:
    """Our tasks bound to this session that have not settled yet."""
    ids = []
    for task in store.inflight():
        if (task.session_key or "").strip() != session_key:
            continue
        if (task.status or "").strip() in SETTLED:
            continue
        ids.append(task.task_id)
    return ids


def report(session_key: str, paths: StorePaths, tasks: TaskStore) -> dict[str, Any]:
    entry = read_store(paths).get(session_key)
    if not isinstance(entry, dict):
        return {"ok": False, "sessionKey": session_key, "exists": False, "store": str(paths.store)}
    return {
        "ok": True,
        "sessionKey": session_key,
        "exists": True,
        "store": str(paths.store),
        "sessionId": entry.get("sessionId"),
        "status": entry.get("status"),
        "abortedLastRun": bool(entry.get("abortedLastRun")),
        "updatedAt": entry.get("updatedAt"),
        "activeTasks": tasks_on(tasks, session_key),
    }


def fresh_entry(old: dict[str, Any], session_id: str, session_file: Path) -> dict[str, Any]:
    entry = {
        "sessionId": session_id,
        "sessionFile": str(session_file),
        "updatedAt": now_ms(),
        "systemSent": False,
        "abortedLastRun": False,
        "inputTokens": 0,
        "outputTokens": 0,
        "totalTokens": 0,
    }
    entry.update({k: old[k] for k in KEEP_ON_RESET if k in old})
    return entry


def reset(session_key: str, paths: StorePaths, tasks: TaskStore, *, fail_task: str | None, reason: str) -> dict[str, Any]:
    data = read_store(paths)
    old = data.get(session_key)
    if not isinstance(old, dict):
        raise KeyError(f"no session {session_key!r} in {paths.store}")
    new_id = str(uuid.uuid4())
    new_file = paths.sessions / f"{new_id}.jsonl"
    old_file = Path(old["sessionFile"]) if old.get("sessionFile") else None
    archived = None
    if old_file is not None and old_file.exists():
        paths.archive.mkdir(parents=True, exist_ok=True)
        archived = paths.archive / f"{old_file.stem}.reset-{now_ms()}.jsonl"
        shutil.move(str(old_file), str(archived))
    data[session_key] = fresh_entry(old, new_id, new_file)
    write_store(paths, data)
    header = {"type": "session", "version": 1, "id": new_id, "timestamp": datetime.now(tz=timezone.utc).isoformat()}
    new_file.write_text(json.dumps(header) + "\n", encoding="utf-8")
    failed = tasks.fail(fail_task, reason).to_dict() if fail_task else None
    return {"ok": True, "sessionKey": session_key, "previous": old.get("sessionId"), "next": new_id,
            "archived": str(archived) if archived else None, "failedTask": failed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--session-key", required=True)
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--fail-task")
    parser.add_argument("--reason", default="session-reset")
    args = parser.parse_args()
    root = project_root()
    paths = StorePaths.for_agent(daemon_agent_id(root))
    tasks = TaskStore(root / "data" / "tasks")
    if args.reset:
        out = reset(args.session_key, paths, tasks, fail_task=args.fail_task, reason=args.reason)
    else:
        out = report(args.session_key, paths, tasks)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0 if out.get("ok") else 1


if __name__ == "__main__":
    raise SystemExit(main())
