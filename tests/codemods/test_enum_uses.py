"""An Enum judged by its uses in other modules: `SessionStatus` is defined in
a settings module that never talks to OpenClaw, and its members are
compared with the status of `openclaw sessions --json` rows in another
module (`r.get("status") == SessionStatus.RUNNING`), so its values are
session statuses. `JobState`, compared only with a job's `state`, is
another vocabulary and stays."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

FILES = {
    "settings.py": '''from enum import StrEnum


class SessionStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobState(StrEnum):
    DONE = "done"
    FAILED = "failed"
''',
    "gateway.py": '''import json
import subprocess


def sessions():
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out).get("sessions", [])
''',
    "checks.py": '''from .gateway import sessions
from .settings import JobState, SessionStatus


def stuck():
    return [r["key"] for r in sessions() if r.get("status") == SessionStatus.RUNNING]


def finished(jobs):
    return [j["id"] for j in jobs if j.get("state") == JobState.DONE]
''',
}


def test_scan_judges_the_enum_by_its_use_in_another_module(tmp_path: Path) -> None:
    write_package(tmp_path, "watch", FILES)
    scan = run_cli("scan", ".", "--show-why", "--min-confidence", "possible", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    why = ("Enum `SessionStatus` is used in a status test in another module: in watch/checks.py: compared with "
           "`r.get(\"status\")`, where `r` iterates what `sessions()` (watch/gateway.py:5) returns, the `sessions` "
           "of decoded from `out`, the output of `openclaw sessions`")
    assert scan.stdout.splitlines() == [
        f"watch/settings.py:6:12: status-enum [certain, rewrite] 'done' -> 'agent_responded': {why}",
        f"watch/settings.py:7:14: status-enum [certain, rewrite] 'failed' -> 'interrupted': {why}",
        "4 files scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ]


def test_expand_then_contract_touch_the_session_enum_only(tmp_path: Path) -> None:
    package = write_package(tmp_path, "watch", FILES)
    settings = FILES["settings.py"]
    session_enum = settings.split("\n\n\nclass JobState")[0]
    hook = ("\n\n    @classmethod\n    def _missing_(cls, value):\n"
            "        return {\"agent_responded\": cls.DONE, \"interrupted\": cls.FAILED}.get(value)")
    apply_phase(tmp_path, "expand", package, FILES, {"settings.py": settings.replace(session_enum, session_enum + hook)})
    apply_phase(tmp_path, "contract", package, FILES, {"settings.py": settings.replace(
        session_enum, session_enum.replace('"done"', '"agent_responded"').replace('"failed"', '"interrupted"'))})
