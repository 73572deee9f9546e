"""The gateway calls the admin page makes: tools over HTTP, one CLI call."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import requests
from flask import current_app


class GatewayDown(Exception):
    """The gateway did not answer; ``reason`` is shown in the page's banner."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


_http = requests.Session()


def _invoke(tool: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    cfg = current_app.config
    try:
        resp = _http.post(
            cfg["GATEWAY_URL"].rstrip("/") + "/tools/invoke",
            json={"tool": tool, "args": args or {}},
            headers={"Authorization": f"Bearer {cfg['GATEWAY_TOKEN']}"},
            timeout=(3.05, 20),
        )
    except requests.Timeout as exc:
        raise GatewayDown("timeout", str(exc)) from exc
    except requests.ConnectionError as exc:
        raise GatewayDown("unreachable", str(exc)) from exc
    if resp.status_code in (401, 403):
        raise GatewayDown("forbidden", resp.text[:200])
    if resp.status_code == 404:
        raise GatewayDown("tool_not_allowed", tool)
    body = resp.json()
    if not body.get("ok"):
        raise GatewayDown("tool_error", body.get("error", {}).get("message", ""))
    result = body["result"]
    if isinstance(result.get("details"), dict):
        return result["details"]
    return json.loads(result["content"][0]["text"])


def list_sessions(search: str | None = None) -> list[dict[str, Any]]:
    args: dict[str, Any] = {"limit": 200}
    if search:
        args["search"] = search
    rows: list[dict[str, Any]] = []
    while True:
        page = _invoke("sessions_list", args)
        rows.extend(page.get("sessions", []))
        if not page.get("hasMore"):
            return rows
        args["offset"] = page["nextOffset"]


def session_card(key: str) -> dict[str, Any]:
    return _invoke("session_status", {"sessionKey": key})


def abort(key: str) -> tuple[bool, str]:
    """Stop a session's active run. The gateway RPC, through the CLI."""
    try:
        proc = subprocess.run(
            ["openclaw", "gateway", "call", "sessions.abort", "--params", json.dumps({"key": key}), "--json"],
            capture_output=True, text=True, timeout=30,
        )
    except subprocess.TimeoutExpired:
        return False, "the CLI did not answer in 30 s"
    if proc.returncode != 0:
        return False, (proc.stderr or proc.stdout).strip()[:300]
    return True, ""
