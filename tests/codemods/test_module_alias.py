"""A settings module read through the name it is imported as (`from . import
settings as cfg`, then `cfg.ENDED`; `import pkg.limits as lim`, then
`lim.STUCK`): its constants are tested with session statuses there, as
when the module is imported under its own name. Beside them, the same
words of the project's jobs, read through the same aliases."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

GATEWAY = '''import json
import subprocess


def rows():
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["sessions"]
'''

SETTINGS = '''ENDED = ("done", "failed", "killed")
JOB_OVER = ("finished", "failed")
'''

LIMITS = '''STUCK = frozenset({"timeout"})
'''

WATCH = '''import beacon.limits as lim

from . import settings as cfg
from .gateway import rows


def still_running():
    return [r["key"] for r in rows() if r["status"] not in cfg.ENDED]


def stuck():
    return [r["key"] for r in rows() if r.get("status") in lim.STUCK]


def jobs_over(jobs):
    return [j["id"] for j in jobs if j["state"] in cfg.JOB_OVER]
'''

FILES = {"gateway.py": GATEWAY, "settings.py": SETTINGS, "limits.py": LIMITS, "watch.py": WATCH}


def test_constants_read_through_an_aliased_module_are_session_statuses(tmp_path: Path) -> None:
    package = write_package(tmp_path, "beacon", FILES)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines()[:-1] == [
        "beacon/limits.py:1:20: status-set-call [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "beacon/settings.py:1:10: status-constant [certain, rewrite] 'done' -> 'agent_responded'",
        "beacon/settings.py:1:18: status-constant [certain, rewrite] 'failed' -> 'interrupted'",
        "beacon/settings.py:1:28: status-constant [certain, rewrite] 'killed' -> 'halted'",
    ]
    apply_phase(tmp_path, "contract", package, FILES, {
        "settings.py": SETTINGS.replace('("done", "failed", "killed")', '("agent_responded", "interrupted", "halted")'),
        "limits.py": LIMITS.replace('"timeout"', '"waiting_for_response"'),
    })

