"""Session rows that come from a WebSocket client of the user's own: an
async generator yields `(event, payload)` pairs from the gateway's frames,
and the loop that unpacks them tests `event != "sessions.changed"` before it
reads `payload["session"]` (the event's name beside its payload, not a key of
it); and a roster taken from a `sessions.subscribe` answer through the
client's own `_request(method, params)` helper, a gateway method named in a
string as `sessions.list` is. The rows reach helpers of another module. The
same loop over another stream's pairs (`job.finished`) is left alone."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

FILES = {
    "source.py": '''import json


class Events:
    """Follows the gateway: yields (event, payload) pairs."""

    def __init__(self, ws):
        self.ws = ws
        self.roster = []

    async def _request(self, method, params):
        await self.ws.send(json.dumps({"type": "req", "id": "1", "method": method, "params": params}))
        frame = json.loads(await self.ws.recv())
        return frame.get("payload") or {}

    async def events(self):
        sub = await self._request("sessions.subscribe", {"limit": 50})
        self.roster = list((sub.get("list") or {}).get("sessions") or [])
        while True:
            frame = json.loads(await self.ws.recv())
            if frame.get("type") == "event":
                yield frame["event"], frame.get("payload") or {}
''',
    "report.py": '''ENDED = {"done", "failed", "killed"}


def ended(row):
    return row.get("status") in ENDED


def label(row):
    match row.get("status"):
        case "timeout":
            return "waiting"
        case _:
            return "other"
''',
    "main.py": '''from .report import ended, label
from .source import Events


async def follow(ws, seen):
    source = Events(ws)
    async for event, payload in source.events():
        for row in source.roster:
            seen.append(label(row))
        if event != "sessions.changed" or not payload.get("session"):
            continue
        if ended(payload["session"]):
            seen.append(payload["session"]["key"])
''',
    "jobs.py": '''async def jobs(queue, seen):
    async for event, job in queue.stream():
        if event == "job.finished" and job.get("status") == "done":
            seen.append(job["id"])
''',
}


def test_scan_follows_the_event_s_payload_and_the_subscribed_roster(tmp_path: Path) -> None:
    write_package(tmp_path, "follow", FILES)
    scan = run_cli("scan", ".", "--show-why", "--min-confidence", "possible", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    ended = ("constant `ENDED` is used in a status test: compared with `row.get(\"status\")`, where `row` of "
             "`ended()` is passed, at follow/main.py:12, `payload[\"session\"]`, the `session` of `payload` is a "
             "`sessions.changed` event frame")
    assert scan.stdout.splitlines() == [
        f"follow/report.py:1:10: status-constant [certain, rewrite] 'done' -> 'agent_responded': {ended}",
        f"follow/report.py:1:18: status-constant [certain, rewrite] 'failed' -> 'interrupted': {ended}",
        f"follow/report.py:1:28: status-constant [certain, rewrite] 'killed' -> 'halted': {ended}",
        "follow/report.py:10:14: status-match [certain, rewrite] 'timeout' -> 'waiting_for_response': matched on "
        "`row.get(\"status\")`, where `row` of `label()` is passed, at follow/main.py:9, `row`, `row` iterates "
        "`Events.roster`, given at line 18 decoded from the `sessions` of the `list` of `sub`, a "
        "`sessions.subscribe` result (follow/source.py)",
        "5 files scanned, 4 findings: 4 to rewrite, 0 to review (expand phase)",
    ]


def test_expand_then_contract_touch_the_session_helpers_only(tmp_path: Path) -> None:
    package = write_package(tmp_path, "follow", FILES)
    report = FILES["report.py"]
    apply_phase(tmp_path, "expand", package, FILES, {"report.py": report.replace(
        '{"done", "failed", "killed"}', '{"done", "agent_responded", "failed", "interrupted", "killed", "halted"}'
    ).replace('case "timeout":', 'case "timeout" | "waiting_for_response":')})
    apply_phase(tmp_path, "contract", package, FILES, {"report.py": report.replace(
        '{"done", "failed", "killed"}', '{"agent_responded", "interrupted", "halted"}'
    ).replace('case "timeout":', 'case "waiting_for_response":')})
