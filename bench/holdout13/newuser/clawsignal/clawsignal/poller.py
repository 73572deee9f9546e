"""Polls sessions_list and subagents/runs.json and turns changes into signals."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from .signals import SETTLED, session_settled, subagent_ended

GATEWAY = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")
STATE_DIR = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))


class Poller:
    def __init__(self, client: httpx.Client | None = None) -> None:
        self.client = client or httpx.Client(base_url=GATEWAY, headers={"Authorization": "Bearer " + TOKEN}, timeout=10)
        self.last: dict[str, str | None] = {}
        self.seen_runs: set[str] = set()
        self.deliveries: Counter[str] = Counter()

    def rows(self) -> list[dict[str, Any]]:
        resp = self.client.post("/tools/invoke", json={"tool": "sessions_list", "args": {"limit": 200}})
        resp.raise_for_status()
        result = resp.json().get("result") or {}
        details = result.get("details")
        if not isinstance(details, dict):
            details = json.loads((result.get("content") or [{}])[0].get("text") or "{}")
        return list(details.get("sessions", []))

    def _emit(self, key: str, status: str, previous: str | None, row: dict[str, Any]) -> None:
        for _receiver, outcome in session_settled.send(key, status=status, previous=previous, row=row):
            self.deliveries[outcome or "ignored"] += 1

    def tick(self) -> None:
        for row in self.rows():
            key, status = row["key"], row.get("status")
            previous = self.last.get(key)
            self.last[key] = status
            if status in SETTLED and status != previous:
                self._emit(key, status, previous, row)
        self._runs()

    def _runs(self) -> None:
        path = STATE_DIR / "subagents" / "runs.json"
        if not path.exists():
            return
        for run_id, run in json.loads(path.read_text(encoding="utf-8")).get("runs", {}).items():
            outcome = run.get("outcome")
            if run_id in self.seen_runs or not outcome:
                continue
            self.seen_runs.add(run_id)
            subagent_ended.send(run_id, status=outcome.get("status"), reason=run.get("endedReason"))

    def stop(self, key: str) -> bool:
        """Abort a session, then tell the receivers at once rather than at the next poll."""
        params = json.dumps({"key": key})
        res = subprocess.run(["openclaw", "gateway", "call", "sessions.abort", "--params", params], capture_output=True, timeout=30)
        if res.returncode != 0:
            return False
        previous = self.last.get(key)
        self.last[key] = "killed"
        self._emit(key, "killed", previous, {"key": key, "abortedLastRun": True})
        return True

    def forever(self, every: float = 15.0) -> None:
        while True:
            self.tick()
            if self.deliveries["failed"]:
                print("clawsignal: %d notifications could not be delivered" % self.deliveries["failed"])
                self.deliveries.clear()
            time.sleep(every)
