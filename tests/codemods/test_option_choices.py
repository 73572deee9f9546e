"""A maintenance script lists the sessions of a state dir by status: an
argparse option ``--status`` takes the old names (``choices=[...]``,
``default="failed"``) and is compared with the status of each
``sessions.json`` entry. A second option, ``--job-state``, takes the same
words for the script's own job log and stays; so does an option compared
both with a session status and with a cron run's status (another
vocabulary): no one can tell which names it must take."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

TOOL = '''import argparse
import json
from pathlib import Path


def entries(state_dir):
    for path in sorted(Path(state_dir).glob("agents/*/sessions/sessions.json")):
        yield from json.loads(path.read_text()).items()


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("state_dir")
    parser.add_argument("--status", choices=["done", "failed", "killed", "timeout", "running"], default="failed")
    parser.add_argument("--job-state", choices=["done", "failed"])
    args = parser.parse_args(argv)
    keys = [key for key, entry in entries(args.state_dir) if entry.get("status") == args.status]
    jobs = [line for line in Path(args.state_dir, "jobs.log").read_text().splitlines()
            if args.job_state and line.split()[1] == args.job_state]
    print(json.dumps({"sessions": keys, "jobs": jobs}))
'''

MIXED = '''import argparse
import json


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--status", choices=["failed", "timeout"])
    args = parser.parse_args(argv)
    data = json.load(open("agents/main/sessions/sessions.json"))
    runs = json.load(open("cron/runs.json"))
    print([k for k, e in data.items() if e["status"] == args.status])
    print([r["id"] for r in runs["cron"] if r["status"] == args.status])
'''

EXPAND = TOOL.replace(
    'choices=["done", "failed", "killed", "timeout", "running"]',
    'choices=["done", "agent_responded", "failed", "interrupted", "killed", "halted", "timeout", '
    '"waiting_for_response", "running"]')
CONTRACT = TOOL.replace(
    'choices=["done", "failed", "killed", "timeout", "running"], default="failed"',
    'choices=["agent_responded", "interrupted", "halted", "waiting_for_response", "running"], '
    'default="interrupted"')


def _state(root: Path, status: str) -> Path:
    state = root.parent / "state"  # outside the project: a state dir of its own
    (state / "agents" / "main" / "sessions").mkdir(parents=True, exist_ok=True)
    (state / "agents" / "main" / "sessions" / "sessions.json").write_text(json.dumps(
        {"agent:main:a": {"status": status}, "agent:main:b": {"status": "running"}}))
    (state / "jobs.log").write_text("j1 failed\nj2 done\n")
    return state


def _run(root: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "import sys; from sessiontool.tool import main; main(sys.argv[1:])",
                           *argv], cwd=root, capture_output=True, text=True)


def test_an_option_that_filters_session_rows_takes_both_names_in_expand(tmp_path: Path) -> None:
    files = {"tool.py": TOOL, "mixed.py": MIXED}
    tmp_path = tmp_path / "project"
    tmp_path.mkdir()
    package = write_package(tmp_path, "sessiontool", files)
    scan = run_cli("scan", ".", "--format", "json", cwd=tmp_path)
    found = sorted((f["path"].rsplit("/", 1)[-1], f["line"], f["old"], f["action"])
                   for f in json.loads(scan.stdout)["findings"] if f["rule"] == "status-option-choice")
    # The default is one value: kept in expand (contract pending), not a finding.
    assert found == [("tool.py", 14, w, "rewrite") for w in ("done", "failed", "killed", "timeout")], scan.stdout

    apply_phase(tmp_path, "expand", package, files, {"tool.py": EXPAND})
    # Old and new names both select during the window; the default stays old.
    for status in ("failed", "interrupted"):
        done = _run(tmp_path, str(_state(tmp_path, status)), "--status", status, "--job-state", "failed")
        assert json.loads(done.stdout) == {"sessions": ["agent:main:a"], "jobs": ["j1 failed"]}, done.stderr
    assert json.loads(_run(tmp_path, str(_state(tmp_path, "failed"))).stdout)["sessions"] == ["agent:main:a"]

    apply_phase(tmp_path, "contract", package, files, {"tool.py": CONTRACT})
    old = _run(tmp_path, str(_state(tmp_path, "failed")), "--status", "failed")
    assert old.returncode == 2 and "invalid choice: 'failed'" in old.stderr
    assert json.loads(_run(tmp_path, str(_state(tmp_path, "interrupted"))).stdout)["sessions"] == ["agent:main:a"]


def test_contract_alone_writes_what_contract_after_expand_does(tmp_path: Path) -> None:
    files = {"tool.py": TOOL, "mixed.py": MIXED}
    package = write_package(tmp_path, "sessiontool", files)
    apply_phase(tmp_path, "contract", package, files, {"tool.py": CONTRACT})


SETTINGS = '''# The statuses the tools let a user pick, and the one picked when none is given.
PICKABLE = ("done", "failed", "killed")
PICKED = "failed"
'''

LISTER = '''import argparse
import json
import subprocess

from . import settings


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--status", choices=sorted(settings.PICKABLE), default=settings.PICKED)
    args = parser.parse_args(argv)
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True).stdout
    print([r["key"] for r in json.loads(out)["sessions"] if r["status"] == args.status])
'''

JOBS = '''import argparse

from .settings import PICKABLE


def main(queue, argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--state", choices=PICKABLE)
    args = parser.parse_args(argv)
    return [job for job in queue.jobs() if job.state == args.state]
'''


def test_constants_of_another_module_given_as_choices_are_judged_by_those_options(tmp_path: Path) -> None:
    files = {"settings.py": SETTINGS, "lister.py": LISTER}
    package = write_package(tmp_path, "picks", files)
    apply_phase(tmp_path, "expand", package, files, {"settings.py": SETTINGS.replace(
        '("done", "failed", "killed")', '("done", "agent_responded", "failed", "interrupted", "killed", "halted")')})
    apply_phase(tmp_path, "contract", package, files, {"settings.py": SETTINGS.replace(
        '("done", "failed", "killed")', '("agent_responded", "interrupted", "halted")').replace(
        'PICKED = "failed"', 'PICKED = "interrupted"')})


def test_a_constant_also_offered_for_a_job_queue_is_expanded_and_left_for_review(tmp_path: Path) -> None:
    files = {"settings.py": SETTINGS, "lister.py": LISTER, "jobs.py": JOBS}
    package = write_package(tmp_path, "picks", files)
    expanded = SETTINGS.replace('("done", "failed", "killed")',
                                '("done", "agent_responded", "failed", "interrupted", "killed", "halted")')
    apply_phase(tmp_path, "expand", package, files, {"settings.py": expanded})
    scan = run_cli("scan", ".", "--phase", "contract", "--format", "json", cwd=tmp_path)
    held = {(f["line"], f["old"], f["action"]) for f in json.loads(scan.stdout)["findings"]
            if f["path"].endswith("settings.py") and f["line"] == 2}
    assert held == {(2, w, "review") for w in ("done", "failed", "killed")}, scan.stdout
