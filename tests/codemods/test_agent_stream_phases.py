"""A display client of the gateway, shaped like a real one: it lists the
sessions with `sessions.list` and handles every event frame in one method.
An `agent` event's `data` is the run's own stream record: a `tool` stream
carries the tool's phase in `status` (`start`, then `end`, `done` or
`complete`), tested beside those words. That `done` is no session status
(the module calls `sessions.list`, but nothing ties this value to a row), so
neither phase touches it; a row of the same `sessions.list` answer compared
with `done` is still a session status."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

FILES = {
    "client.py": '''import asyncio
import json
import time


class Client:
    def __init__(self):
        self.finished = []
        self.notes = []

    async def setup(self, ws):
        await ws.send(json.dumps({"type": "req", "id": "1", "method": "sessions.list", "params": {}}))
        deadline = time.time() + 5.0
        while time.time() < deadline:
            data = json.loads(await asyncio.wait_for(ws.recv(), timeout=5.0))
            if data.get("type") == "res" and data.get("id") == "1":
                for s in data.get("payload", {}).get("sessions", []):
                    if s.get("status") == "done":
                        self.finished.append(s.get("key", ""))
                break
            await self.handle(data)

    async def handle(self, data):
        if data.get("type", "") == "event":
            await self.handle_event(data.get("event", ""), data.get("payload", {}))

    async def handle_event(self, event_name, payload):
        if event_name == "agent":
            stream = payload.get("stream", "")
            data = payload.get("data", {})
            if stream == "tool":
                tool_status = data.get("status", "")
                if tool_status == "start":
                    self.notes.append("running")
                elif tool_status in ("end", "done", "complete"):
                    self.notes.append("done")
''',
}


def test_scan_finds_the_row_and_not_the_tool_phase(tmp_path: Path) -> None:
    write_package(tmp_path, "deck", FILES)
    scan = run_cli("scan", ".", "--min-confidence", "possible", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    lines = scan.stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in lines[:-1]] == [
        "deck/client.py:18:43",
    ]
    assert lines[0].startswith("deck/client.py:18:43: status-compare [likely, rewrite] 'done' -> 'agent_responded'")
    assert lines[-1] == "2 files scanned, 1 finding: 1 to rewrite, 0 to review (expand phase)"


def test_both_phases_leave_the_tool_phase_alone(tmp_path: Path) -> None:
    package = write_package(tmp_path, "deck", FILES)
    client = FILES["client.py"]
    apply_phase(tmp_path, "expand", package, FILES, {"client.py": client.replace(
        'if s.get("status") == "done":', 'if s.get("status") in ("done", "agent_responded"):')})
    apply_phase(tmp_path, "contract", package, FILES, {"client.py": client.replace(
        'if s.get("status") == "done":', 'if s.get("status") == "agent_responded":')})
