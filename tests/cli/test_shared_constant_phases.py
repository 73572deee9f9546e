"""A tuple of terminal words shared by a session poller and a job queue
(OPENCLAW.md: the same tuple appears in many job runners): contract after
expand must give the bytes of contract alone (SPEC 1, phases)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from conftest import run_cli, snapshot

STATES = '"""Terminal states, shared by the session poller and the job queue."""\n\nTERMINAL = ("done", "failed", "timeout", "killed")\n'
CLIENT = '''import json
import subprocess


def cli_sessions():
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)
'''
POLLER = '''from orch.client import cli_sessions
from orch.states import TERMINAL


def stuck():
    out = []
    for row in cli_sessions()["sessions"]:
        status = (row.get("status") or "").strip().lower()
        if status != "running" and status not in TERMINAL:
            out.append(row["key"])
    return out
'''
JOBS = '''from orch.states import TERMINAL


class Job:
    def __init__(self):
        self.state = "pending"


def is_over(job):
    return job.state in TERMINAL or job.state == "error"
'''


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=root, check=True)


def _tree(root: Path) -> Path:
    (root / "orch").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.migrator]\ntarget-version = "2026.9.6"\n')
    for name, text in {"__init__.py": "", "states.py": STATES, "client.py": CLIENT, "poller.py": POLLER,
                       "jobs.py": JOBS}.items():
        (root / "orch" / name).write_text(text)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "orchestrator")
    return root


def test_contract_after_expand_is_contract_for_a_constant_shared_with_a_job_queue(tmp_path: Path) -> None:
    direct = _tree(tmp_path / "direct")
    staged = tmp_path / "staged"
    shutil.copytree(direct, staged, ignore=shutil.ignore_patterns(".migrator"))
    expanded = run_cli("apply", ".", "--write", "--no-cache", cwd=staged)
    assert expanded.returncode == 0, expanded.stderr
    assert "rewrote orch/states.py" in expanded.stderr.splitlines()
    _git(staged, "commit", "-qam", "expand")
    for root in (direct, staged):
        contracted = run_cli("apply", ".", "--write", "--phase", "contract", "--no-cache", cwd=root)
        assert contracted.returncode == 0, contracted.stderr
    assert snapshot(staged)["orch/states.py"] == snapshot(direct)["orch/states.py"]
    def own(root: Path) -> dict[str, bytes]:  # the user's files: not git's, not the journal's
        return {k: v for k, v in snapshot(root).items() if not k.startswith((".git/", ".migrator/"))}

    assert own(staged) == own(direct)
    # Contract leaves the shared constant accepting both names, for a person to split.
    assert own(direct)["orch/states.py"].decode() == STATES.replace(
        '("done", "failed", "timeout", "killed")',
        '("done", "agent_responded", "failed", "interrupted", "timeout", "waiting_for_response", "killed", "halted")')
