"""A call that runs a function it is given and returns its result
(tenacity's `retrying(find_session, key)`, `asyncio.to_thread(fetch)`):
what it returns is what the function returns. A `sessions_send` helper run
the same way stays another vocabulary."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

FILES = {
    "calls.py": '''def invoke(client, tool, args):
    return client.post("/tools/invoke", json={"tool": tool, "args": args}).json()["result"]["details"]


def find_session(client, key):
    page = invoke(client, "sessions_list", {"search": key})
    return next((row for row in page.get("sessions", []) if row.get("key") == key), None)


def nudge(client, key):
    return invoke(client, "sessions_send", {"sessionKey": key, "message": "ping", "timeoutSeconds": 5})
''',
    "wait.py": '''import asyncio

from tenacity import Retrying, stop_after_delay

from .calls import find_session, nudge


def settled(client, key):
    row = Retrying(stop=stop_after_delay(60))(find_session, client, key)
    return row is not None and row["status"] in ("done", "failed")


async def answered(client, key):
    reply = await asyncio.to_thread(nudge, client, key)
    return reply["status"] != "timeout"


def watch(scheduler, client, key):
    # A scheduler's handle is not what the function it runs returns.
    timer = scheduler.every(30, find_session, client, key)
    return timer.status == "failed"
''',
}


def test_what_a_runner_returns_is_what_it_runs(tmp_path: Path) -> None:
    package = write_package(tmp_path, "watch", FILES)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "watch/wait.py:10:50: status-membership [certain, rewrite] 'done' -> 'agent_responded'",
        "watch/wait.py:10:58: status-membership [certain, rewrite] 'failed' -> 'interrupted'",
        "watch/wait.py:21:28: status-compare [likely, rewrite] 'failed' -> 'interrupted'",
        "3 files scanned, 3 findings: 3 to rewrite, 0 to review (expand phase)",
    ]
    text = FILES["wait.py"]
    apply_phase(tmp_path, "expand", package, FILES, {"wait.py": text.replace(
        '("done", "failed")', '("done", "agent_responded", "failed", "interrupted")').replace(
        'timer.status == "failed"', 'timer.status in ("failed", "interrupted")')})
    apply_phase(tmp_path, "contract", package, FILES, {"wait.py": text.replace(
        '("done", "failed")', '("agent_responded", "interrupted")').replace(
        'timer.status == "failed"', 'timer.status == "interrupted"')})
