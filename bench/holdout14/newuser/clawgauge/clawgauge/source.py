"""Where the numbers come from: the openclaw CLI and the state directory."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path

GATEWAY = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")
STATE = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))


def sessions() -> list[dict]:
    out = subprocess.run(
        ["openclaw", "sessions", "--all-agents", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    data = json.loads(out)
    return data.get("sessions", []) if isinstance(data, dict) else data


def subagent_runs() -> list[dict]:
    path = STATE / "subagents" / "runs.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    return list((data.get("runs") or {}).values())


def exec_processes(session_key: str) -> list[dict]:
    """The `process` tool's list for one session, through `POST /tools/invoke`."""
    body = json.dumps({"tool": "process", "args": {"action": "list"}, "sessionKey": session_key}).encode()
    req = urllib.request.Request(
        GATEWAY + "/tools/invoke",
        data=body,
        headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            data = json.load(resp)
    except OSError:
        return []
    result = data.get("result") or {}
    details = result.get("details") or json.loads(result["content"][0]["text"])
    return details.get("sessions", [])
