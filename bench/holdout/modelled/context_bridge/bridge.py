#!/usr/bin/env python3
"""An HTTP bridge that tells a phone app how full its OpenClaw session is.

``GET /context`` runs ``openclaw sessions --json``, finds the app's session
(or the main one) and reports token use; ``POST /ask`` relays a message with
``openclaw agent --json``. Errors are reported in the bridge's own words.
"""

from __future__ import annotations

import json
import os
import subprocess
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

SESSION = os.environ.get("BRIDGE_SESSION", "phone-chat")
TOKEN = os.environ.get("BRIDGE_TOKEN", "")


def first_json_object(text: str) -> dict[str, Any] | None:
    """The first balanced {...} in CLI output that may carry banners."""
    start = text.find("{")
    while start >= 0:
        try:
            value, _ = json.JSONDecoder().raw_decode(text[start:])
            return value if isinstance(value, dict) else None
        except ValueError:
            start = text.find("{", start + 1)
    return None


def openclaw_json(args: list[str], timeout: int) -> tuple[int, dict[str, Any] | None, str]:
    proc = subprocess.run(["openclaw", *args], capture_output=True, text=True, timeout=timeout)
    out = (proc.stdout or "") + (proc.stderr or "")
    return proc.returncode, first_json_object(out), out


def pick_session(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    for row in rows:
        if row.get("sessionId") == SESSION:
            return row
    return next((r for r in rows if r.get("key") == "agent:main:main"), None)


class Bridge(BaseHTTPRequestHandler):
    def reply(self, code: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def authorised(self) -> bool:
        return not TOKEN or self.headers.get("Authorization") == f"Bearer {TOKEN}"

    def do_GET(self) -> None:
        if self.path != "/context" or not self.authorised():
            self.reply(404, {"ok": False, "error": "not found"})
            return
        try:
            code, parsed, raw = openclaw_json(["sessions", "--json"], timeout=60)
            if code != 0 or not parsed:
                self.reply(500, {"ok": False, "error": "sessions_failed", "details": raw[-500:]})
                return
            row = pick_session(parsed.get("sessions") or [])
            if row is None:
                self.reply(200, {"ok": True, "context": None})
                return
            used, limit = int(row.get("totalTokens") or 0), int(row.get("contextTokens") or 0)
            share = round(100 * used / limit, 1) if limit else None
            self.reply(200, {"ok": True, "context": {"used": used, "max": limit, "percent": share,
                                                     "model": row.get("model")}})
        except subprocess.TimeoutExpired:
            self.reply(504, {"ok": False, "error": "timeout"})

    def do_POST(self) -> None:
        if self.path != "/ask" or not self.authorised():
            self.reply(404, {"ok": False, "error": "not found"})
            return
        length = int(self.headers.get("Content-Length", "0"))
        message = (json.loads(self.rfile.read(length) or b"{}").get("message") or "").strip()
        try:
            code, parsed, raw = openclaw_json(["agent", "--session-id", SESSION, "--message", message, "--json"], 180)
            if code != 0 or not parsed:
                self.reply(500, {"ok": False, "error": "agent_failed", "details": raw[-600:]})
                return
            payloads = (parsed.get("result") or {}).get("payloads") or [{}]
            self.reply(200, {"ok": True, "reply": (payloads[0].get("text") or "").strip()})
        except subprocess.TimeoutExpired:
            self.reply(504, {"ok": False, "error": "timeout"})


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", 8091), Bridge).serve_forever()
