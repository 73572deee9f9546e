"""Fetch everything a check may need, through POST /tools/invoke and runs.json."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .base import Context

GATEWAY = urlsplit(os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789"))
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")
STATE_DIR = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))


class FetchError(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def invoke(tool: str, args: dict[str, Any]) -> dict[str, Any]:
    conn = http.client.HTTPConnection(GATEWAY.hostname or "127.0.0.1", GATEWAY.port or 18789, timeout=15)
    try:
        conn.request(
            "POST",
            "/tools/invoke",
            body=json.dumps({"tool": tool, "args": args}),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        resp = conn.getresponse()
        raw = resp.read()
    except (socket.timeout, TimeoutError) as exc:
        raise FetchError("timeout") from exc
    finally:
        conn.close()
    if resp.status != 200:
        raise FetchError("http")
    try:
        result = json.loads(raw).get("result") or {}
        details = result.get("details")
        return details if isinstance(details, dict) else json.loads(result["content"][0]["text"])
    except (ValueError, KeyError, IndexError) as exc:
        raise FetchError("parse") from exc


def gather() -> Context:
    ctx = Context()
    try:
        offset = 0
        while True:
            page = invoke("sessions_list", {"limit": 200, "offset": offset})
            ctx.sessions.extend(page.get("sessions", []))
            if not page.get("hasMore"):
                break
            offset = page.get("nextOffset", offset + 200)
    except FetchError as exc:
        ctx.fetch_errors["sessions"] = exc.kind
    try:
        ctx.processes = invoke("process", {"action": "list"}).get("sessions", [])
    except FetchError as exc:
        ctx.fetch_errors["processes"] = exc.kind
    runs_file = STATE_DIR / "subagents" / "runs.json"
    try:
        ctx.subagent_runs = list(json.loads(runs_file.read_text(encoding="utf-8")).get("runs", {}).values())
    except (OSError, ValueError):
        ctx.fetch_errors["subagent_runs"] = "parse"
    try:
        proc = subprocess.run(["openclaw", "tasks", "list", "--json"], capture_output=True, text=True, timeout=20)
        listed = json.loads(proc.stdout or "[]")
        ctx.tasks = listed.get("tasks", []) if isinstance(listed, dict) else listed
    except subprocess.TimeoutExpired:
        ctx.fetch_errors["tasks"] = "timeout"
    except (OSError, ValueError):
        ctx.fetch_errors["tasks"] = "parse"
    return ctx
