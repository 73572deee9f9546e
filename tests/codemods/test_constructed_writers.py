"""A class built from session rows, constructed with a status literal, writes
that status: `cls(key, "killed", aborted=True)` in one of its class methods,
`cls(key=key, status="failed")`, `SessionRow(key, "killed")`. Like
`row.status = "killed"`, the old name is kept in expand and renamed in
contract. A job queue's `Job(key, "failed")` stays as it is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

ROWS = '''import json
import subprocess
from dataclasses import dataclass


@dataclass
class SessionRow:
    key: str
    status: str
    aborted: bool = False

    @classmethod
    def from_row(cls, row):
        return cls(key=row["key"], status=row["status"], aborted=bool(row.get("abortedLastRun")))

    @classmethod
    def stopped(cls, key):
        """What a row looks like right after we stopped its run ourselves."""
        return cls(key, "killed", aborted=True)

    @classmethod
    def lost(cls, key):
        return cls(key=key, status="failed")

    @property
    def crashed(self):
        return self.status in {"failed", "killed"} and not self.aborted


def listed():
    proc = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True, check=True)
    return [SessionRow.from_row(r) for r in json.loads(proc.stdout).get("sessions", [])]


def forget(key):
    return SessionRow(key, "killed")
'''

JOBS = '''from dataclasses import dataclass


@dataclass
class Job:
    key: str
    status: str

    @classmethod
    def gave_up(cls, key):
        return cls(key, "failed")

    @property
    def over(self):
        return self.status in ("done", "failed")


def timed_out(key):
    return Job(key, "timeout")
'''

BUILT = ("`self` is a `SessionRow` built in rows.py:32 from `r` iterates the `sessions` of decoded from `proc`, the "
         "output of `openclaw sessions`")


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "crew"\n', "utf-8")
    (tmp_path / "rows.py").write_text(ROWS, "utf-8")
    (tmp_path / "jobs.py").write_text(JOBS, "utf-8")
    return tmp_path


def test_a_session_class_built_with_a_status_is_a_writer(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    for phase in ("expand", "contract"):
        scan = run_cli("scan", ".", "--phase", phase, "--show-why", cwd=root)
        assert (scan.returncode, scan.stderr) == (1, "")
        compared = f"compared with `self.status`, where {BUILT}"
        written = "the status of a `SessionRow` built in rows.py:32 from `r` iterates the `sessions` of decoded from " \
                  "`proc`, the output of `openclaw sessions`"
        untied = "compared with `self.status`, but nothing ties it to OpenClaw"
        review = [
            "to review (2):",
            f"jobs.py:15:32: status-membership [possible, review] 'done' -> 'agent_responded': {untied}",
            f"jobs.py:15:40: status-membership [possible, review] 'failed' -> 'interrupted': {untied}",
        ]
        readers = [
            f"rows.py:27:32: status-membership [certain, rewrite] 'failed' -> 'interrupted': {compared}",
            f"rows.py:27:42: status-membership [certain, rewrite] 'killed' -> 'halted': {compared}",
        ]
        if phase == "expand":
            assert scan.stdout.splitlines() == [
                *readers, *review,
                "rows.py:19:25: status-writer: `killed` kept in expand (a written or single value), `halted` in "
                "contract: contract pending",
                "rows.py:23:36: status-writer: `failed` kept in expand (a written or single value), `interrupted` in "
                "contract: contract pending",
                "rows.py:36:28: status-writer: `killed` kept in expand (a written or single value), `halted` in "
                "contract: contract pending",
                "2 files scanned, 4 findings: 2 to rewrite, 2 to review (expand phase)",
            ]
        else:
            assert scan.stdout.splitlines() == [
                f"rows.py:19:25: status-writer [certain, rewrite] 'killed' -> 'halted': {written}",
                f"rows.py:23:36: status-writer [certain, rewrite] 'failed' -> 'interrupted': {written}",
                *readers,
                f"rows.py:36:28: status-writer [certain, rewrite] 'killed' -> 'halted': {written}",
                *review,
                "2 files scanned, 7 findings: 5 to rewrite, 2 to review (contract phase)",
            ]


def test_after_expand_and_contract(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert _behaviour(root) == {"stopped": "killed", "lost": "failed", "forget": "killed", "crashed": [
        True, False, True, False, False]}
    done = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    expanded = ROWS.replace('{"failed", "killed"}', '{"failed", "interrupted", "killed", "halted"}')
    assert ((root / "rows.py").read_text("utf-8"), (root / "jobs.py").read_text("utf-8")) == (expanded, JOBS)
    # Expand writes the old names still (an old gateway may read them) and reads both.
    assert _behaviour(root) == {"stopped": "killed", "lost": "failed", "forget": "killed", "crashed": [
        True, True, True, True, False]}
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    contracted = ROWS.replace('{"failed", "killed"}', '{"interrupted", "halted"}').replace(
        'cls(key, "killed"', 'cls(key, "halted"').replace('status="failed"', 'status="interrupted"').replace(
        'SessionRow(key, "killed")', 'SessionRow(key, "halted")')
    assert ((root / "rows.py").read_text("utf-8"), (root / "jobs.py").read_text("utf-8")) == (contracted, JOBS)
    assert _behaviour(root) == {"stopped": "halted", "lost": "interrupted", "forget": "halted", "crashed": [
        False, True, False, True, False]}


def _behaviour(root: Path) -> dict[str, object]:
    """The statuses the rows are built with, and `crashed` for rows of
    failed, interrupted, killed, halted and running (not aborted); the job
    queue's writers are checked to write what they always wrote."""
    code = (
        "import json, jobs, rows\n"
        "assert (jobs.Job.gave_up('j').status, jobs.timed_out('j').status) == ('failed', 'timeout')\n"
        "crashed = [rows.SessionRow('k', s).crashed for s in ('failed', 'interrupted', 'killed', 'halted', 'running')]\n"
        "print(json.dumps({'stopped': rows.SessionRow.stopped('k').status, 'lost': rows.SessionRow.lost('k').status,\n"
        "                  'forget': rows.forget('k').status, 'crashed': crashed}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))
