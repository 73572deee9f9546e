"""The shift loop: hand jobs to worker sessions and react to how their runs end."""

from __future__ import annotations

import subprocess
import json
import time
from typing import Any, Callable

from . import disk, gateway
from .rows import SessionRow, rows_of

JOB_FINAL = ("done", "failed")


def cli_rows() -> list[dict[str, Any]]:
    """``openclaw sessions --json`` when the gateway's HTTP side is not reachable."""
    try:
        proc = subprocess.run(["openclaw", "sessions", "--json", "--all-agents"],
                              capture_output=True, text=True, timeout=20, check=True)
    except subprocess.TimeoutExpired:
        print(json.dumps({"source": "openclaw sessions", "error": "timeout"}))
        return []
    return json.loads(proc.stdout).get("sessions", [])


def status_of(row: dict[str, Any]) -> str:
    return str(row.get("status") or row.get("lastStatus") or "").strip().lower()


class Shift:
    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.reactions: dict[str, Callable[[SessionRow], None]] = {
            "failed": self.respawn,
            "timeout": self.nudge,
            "killed": self.forget,
        }

    def assign(self, label: str, task: str) -> None:
        reply = gateway.spawn(task, label)
        key = reply.get("childSessionKey") or reply.get("sessionKey") or label
        self.jobs[key] = {"label": label, "task": task, "status": "queued", "tries": 1}

    def respawn(self, row: SessionRow) -> None:
        job = self.jobs.pop(row.key, None)
        if job and job["tries"] < 3:
            self.assign(job["label"], job["task"])
            self.jobs[next(reversed(self.jobs))]["tries"] = job["tries"] + 1
        elif job:
            job["status"] = "failed"

    def nudge(self, row: SessionRow) -> None:
        reply = gateway.send(row.key, "Your last run timed out. Carry on where you stopped.", wait_seconds=30)
        if reply.get("status") == "timeout":
            print(f"{row.key}: no answer within 30 s, will look again next round")

    def forget(self, row: SessionRow) -> None:
        job = self.jobs.pop(row.key, None)
        if job is not None:
            job["status"] = "failed"

    def stop(self, key: str) -> SessionRow:
        gateway.invoke("subagents", {"action": "kill", "target": key})
        return SessionRow.stopped(key)

    def round(self) -> None:
        try:
            raw = gateway.list_sessions()
        except gateway.GatewayError:
            raw = cli_rows()
        for key in self.loose_ends(raw):
            print(f"{key}: ended badly and no job of ours owns it")
        for row in rows_of(raw):
            job = self.jobs.get(row.key)
            if job is None or not row.ended:
                continue
            if row.status == "done":
                job["status"] = "done"
                continue
            react = self.reactions.get(row.status or "")
            if react is not None:
                react(row)
        for key, job in list(self.jobs.items()):
            if job["status"] in JOB_FINAL:
                print(f"{job['label']}: {job['status']}")
                del self.jobs[key]

    def report_disk(self) -> None:
        for key, entry in disk.entries():
            if key in self.jobs:
                print(f"{key}: {disk.describe(entry)}")

    def loose_ends(self, raw: list[dict[str, Any]]) -> list[str]:
        return [r["key"] for r in raw if status_of(r) in ("failed", "timeout") and r.get("key") not in self.jobs]


def main() -> None:
    shift = Shift()
    while True:
        shift.round()
        time.sleep(15)


if __name__ == "__main__":
    main()
