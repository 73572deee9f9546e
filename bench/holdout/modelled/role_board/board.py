#!/usr/bin/env python3
"""A tiny status board for three agent roles, served over plain HTTP.

Each role maps to an OpenClaw agent; the board reads that agent's
``agents/<id>/sessions/sessions.json``, takes the most recently updated
entry and turns it into a traffic light. A second endpoint lists the
latest sessions of every agent, and a third one relays the cron list.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

STATE = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))
ROLES = {"lead": "main", "builder": "codex", "checker": "qa"}
FRESH_MS = 120_000
WEEK_MS = 7 * 24 * 3600 * 1000


def now_ms() -> float:
    return time.time() * 1000


def load_store(agent: str) -> dict[str, Any]:
    path = STATE / "agents" / agent / "sessions" / "sessions.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def newest(agent: str) -> tuple[str | None, dict[str, Any]]:
    store = load_store(agent)
    if not store:
        return None, {}
    key = max(store, key=lambda k: store[k].get("updatedAt", 0))
    return key, store[key]


def light_for(role: str) -> dict[str, Any]:
    key, entry = newest(ROLES[role])
    if key is None:
        return {"role": role, "light": "amber", "note": "no session yet"}
    age = now_ms() - entry.get("updatedAt", 0)
    state = entry.get("status", "")
    if entry.get("abortedLastRun", False) or state in ("failed", "error"):
        light = "red"
    elif state == "running" and age < FRESH_MS:
        light = "green"
    else:
        light = "amber"
    return {"role": role, "light": light, "key": key, "age_ms": int(age)}


def recent(limit: int = 5) -> list[dict[str, Any]]:
    rows = []
    for agent in sorted(set(ROLES.values())):
        for key, entry in load_store(agent).items():
            age = now_ms() - entry.get("updatedAt", 0)
            if age < WEEK_MS:
                rows.append({"agent": agent, "key": key, "age_ms": int(age),
                             "model": entry.get("model", "-"), "status": entry.get("status", "-")})
    rows.sort(key=lambda r: r["age_ms"])
    return rows[:limit]


def cron_jobs() -> list[dict[str, Any]]:
    proc = subprocess.run(["openclaw", "cron", "list", "--json"], capture_output=True, text=True, timeout=10)
    if proc.returncode != 0:
        return []
    jobs = json.loads(proc.stdout).get("jobs", [])
    return [{"name": j.get("name", "?"),
             "last_status": j.get("state", {}).get("lastRunStatus", "?"),
             "error": j.get("state", {}).get("lastError")} for j in jobs]


class Board(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        routes = {
            "/api/roles": lambda: {"roles": [light_for(r) for r in ROLES]},
            "/api/recent": lambda: {"sessions": recent()},
            "/api/cron": lambda: {"jobs": cron_jobs()},
        }
        handler = routes.get(self.path)
        body = json.dumps(handler() if handler else {"error": "not found"}).encode()
        self.send_response(200 if handler else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", 8765), Board).serve_forever()
