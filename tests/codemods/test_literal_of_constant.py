"""A `Literal` alias that types the items of a constant used only as
session statuses (`ENDED: tuple[Status, ...] = (...)`, tested with the rows'
status) is their type: it follows the constant. A `Literal` typing a job
queue's constant stays, though the module talks to OpenClaw and its words
are session words."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

FILES = {
    "ended.py": '''from typing import Literal

Status = Literal["running", "done", "failed"]
ENDED: tuple[Status, ...] = ("done", "failed")

JobState = Literal["queued", "done"]
FINISHED: tuple[JobState, ...] = ("done",)


def over(client):
    rows = client.invoke("sessions_list", {})["details"]["sessions"]
    return [r["key"] for r in rows if r["status"] in ENDED]


def settled(jobs):
    return [j for j in jobs if j["state"] in FINISHED]
''',
}


def test_the_literal_typing_a_session_constant_follows_it(tmp_path: Path) -> None:
    package = write_package(tmp_path, "fleet", FILES)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "fleet/ended.py:3:29: status-literal-type [certain, rewrite] 'done' -> 'agent_responded'",
        "fleet/ended.py:3:37: status-literal-type [certain, rewrite] 'failed' -> 'interrupted'",
        "fleet/ended.py:4:30: status-constant [certain, rewrite] 'done' -> 'agent_responded'",
        "fleet/ended.py:4:38: status-constant [certain, rewrite] 'failed' -> 'interrupted'",
        "2 files scanned, 4 findings: 4 to rewrite, 0 to review (expand phase)",
    ]
    text = FILES["ended.py"]
    apply_phase(tmp_path, "contract", package, FILES, {"ended.py": text.replace(
        'Literal["running", "done", "failed"]', 'Literal["running", "agent_responded", "interrupted"]').replace(
        '= ("done", "failed")', '= ("agent_responded", "interrupted")')})
