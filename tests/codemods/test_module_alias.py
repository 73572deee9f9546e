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


MARKS = '''MARK = {"running": ">", "done": "+", "failed": "x"}


def mark(status):
    return MARK.get(status or "", " ")


def line(row):
    return "%s %s" % (mark(row.get("status")), row["key"])
'''

SHELL = '''from . import gateway, marks


def show():
    for row in gateway.rows():
        print(marks.line(row))


def legend():
    for status in ["running", "done", "failed"]:
        print(marks.mark(status), status)
'''


def test_words_written_at_a_call_site_say_nothing_of_where_the_others_come_from(tmp_path: Path) -> None:
    # `mark()` is given a session row's status through `line()`, and the
    # words of a legend loop: the loop's literals are no other origin.
    write_package(tmp_path, "beacon", {"gateway.py": GATEWAY, "marks.py": MARKS, "shell.py": SHELL})
    scan = run_cli("scan", ".", "--show-why", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    lines = scan.stdout.splitlines()
    assert [line.split(": ", 2)[:2] for line in lines[:-1]] == [
        ["beacon/marks.py:1:25", "status-dispatch [certain, rewrite] 'done' -> 'agent_responded'"],
        ["beacon/marks.py:1:38", "status-dispatch [certain, rewrite] 'failed' -> 'interrupted'"],
    ]
    assert "`row` of `line()` is passed, at beacon/shell.py:6, `row`" in lines[0]
