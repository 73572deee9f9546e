"""The program of a command line named by another module's constant:
`[settings.OPENCLAW_BIN, *args]` runs `openclaw` when `settings.py` binds
`OPENCLAW_BIN = os.environ.get("OPENCLAW_BIN", "openclaw")`, so what the
helper returns for `_run("sessions", "--json")` are session rows. A status
unpacked beside its key (`key, status = row["key"], row.get("status")`) is
read from the row. The same shape over another program (`TASK_BIN`, a task
runner's `sessions`) is left alone."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

FILES = {
    "settings.py": '''import os

OPENCLAW_BIN = os.environ.get("OPENCLAW_BIN", "openclaw")
TASK_BIN = os.environ.get("TASK_BIN", "taskrunner")
ALERT_ON = ["failed", "timeout"]
''',
    "cli.py": '''import json
import subprocess

from . import settings


def _run(*args):
    out = subprocess.run([settings.OPENCLAW_BIN, *args], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def sessions():
    return _run("sessions", "--json").get("sessions", [])


def jobs():
    out = subprocess.run([settings.TASK_BIN, "sessions", "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)
''',
    "watch.py": '''from . import cli, settings


def alerts():
    out = []
    for row in cli.sessions():
        key, status = row["key"], row.get("status")
        if status in settings.ALERT_ON:
            out.append(key)
    return out


def finished_jobs():
    return [j["id"] for j in cli.jobs() if j["status"] == "done"]
''',
}


def test_scan_follows_the_program_constant_to_the_session_rows(tmp_path: Path) -> None:
    write_package(tmp_path, "watch", FILES)
    scan = run_cli("scan", ".", "--show-why", "--min-confidence", "possible", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    why = ("constant `ALERT_ON` is used in a status test in another module: in watch/watch.py: compared with "
           "`status` (bound from `row.get(\"status\")`), where `row` iterates what `sessions()` (watch/cli.py:12) "
           "returns, the `sessions` of what `_run()` (line 7) returns, decoded from `out`, the output of "
           "`openclaw sessions`")
    assert scan.stdout.splitlines() == [
        f"watch/settings.py:5:13: status-constant [certain, rewrite] 'failed' -> 'interrupted': {why}",
        f"watch/settings.py:5:23: status-constant [certain, rewrite] 'timeout' -> 'waiting_for_response': {why}",
        "4 files scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ]


def test_expand_then_contract_touch_only_the_session_constant(tmp_path: Path) -> None:
    package = write_package(tmp_path, "watch", FILES)
    settings = FILES["settings.py"]
    apply_phase(tmp_path, "expand", package, FILES, {"settings.py": settings.replace(
        '["failed", "timeout"]', '["failed", "interrupted", "timeout", "waiting_for_response"]')})
    apply_phase(tmp_path, "contract", package, FILES, {"settings.py": settings.replace(
        '["failed", "timeout"]', '["interrupted", "waiting_for_response"]')})
    assert run_cli("scan", ".", "--phase", "contract", cwd=tmp_path).stdout.splitlines() == [
        "4 files scanned, 0 findings: 0 to rewrite, 0 to review (contract phase)",
    ]
