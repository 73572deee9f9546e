"""A helper of the module that returns a row's status is a status read where
it is called: `status_of(r) in ("failed", "timeout")`, with `status_of(row)`
returning `str(row.get("status") or "").strip().lower()`, reads the status of
`r`, with `r`'s provenance at that call. A job queue's `status_of(job)` is a
status of another vocabulary and stays as it is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

WATCH = '''import json
import subprocess


def status_of(row):
    return str(row.get("status") or "").strip().lower()


def listed():
    proc = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout).get("sessions", [])


def stuck(rows):
    return [r["key"] for r in rows if status_of(r) in ("failed", "timeout")]


class Watch:
    def status_of(self, row):
        return (row.get("status") or "").lower()

    def answered(self, rows):
        return [r["key"] for r in rows if self.status_of(r) == "done"]


def main():
    watch = Watch()
    print(stuck(listed()), watch.answered(listed()))
'''

JOBS = '''import queue

PENDING = queue.Queue()


def status_of(job):
    return str(job.get("status") or "").strip().lower()


def settled(jobs):
    return [j["id"] for j in jobs if status_of(j) in ("done", "failed")]


def drain():
    return settled([PENDING.get() for _ in range(PENDING.qsize())])
'''

WHY = ("where `r` iterates `rows` of `stuck()` is passed, at line 28, `listed()`, what `listed()` (watch.py:9) "
       "returns, the `sessions` of decoded from `proc`, the output of `openclaw sessions`")


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "watch"\n', "utf-8")
    (tmp_path / "watch.py").write_text(WATCH, "utf-8")
    (tmp_path / "jobs.py").write_text(JOBS, "utf-8")
    return tmp_path


def test_a_helpers_returned_status_is_read_with_its_arguments_source(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", "--show-why", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    read = "compared with `status_of(r)` (what `status_of()` returns, `row.get(\"status\")`), "
    assert scan.stdout.splitlines() == [
        f"watch.py:15:56: status-membership [certain, rewrite] 'failed' -> 'interrupted': {read}{WHY}",
        f"watch.py:15:66: status-membership [certain, rewrite] 'timeout' -> 'waiting_for_response': {read}{WHY}",
        # A method's parameter is joined over the calls made through an instance.
        "watch.py:23:64: status-compare [certain, rewrite] 'done' -> 'agent_responded': compared with "
        "`self.status_of(r)` (what `status_of()` returns, `row.get(\"status\")`), where `r` iterates `rows` of "
        "`answered()` is passed, at line 28, `listed()`, what `listed()` (watch.py:9) returns, the `sessions` of "
        "decoded from `proc`, the output of `openclaw sessions`",
        "2 files scanned, 3 findings: 3 to rewrite, 0 to review (expand phase)",
    ]


def test_after_expand_and_contract(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    done = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    expanded = WATCH.replace('("failed", "timeout")', '("failed", "interrupted", "timeout", "waiting_for_response")')
    expanded = expanded.replace('self.status_of(r) == "done"', 'self.status_of(r) in ("done", "agent_responded")')
    assert (root / "watch.py").read_text("utf-8") == expanded
    assert (root / "jobs.py").read_text("utf-8") == JOBS
    assert _stuck(root) == {"failed": True, "interrupted": True, "timeout": True, "waiting_for_response": True,
                            "done": False, "agent_responded": False, "running": False}
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    contracted = WATCH.replace('("failed", "timeout")', '("interrupted", "waiting_for_response")')
    contracted = contracted.replace('self.status_of(r) == "done"', 'self.status_of(r) == "agent_responded"')
    assert (root / "watch.py").read_text("utf-8") == contracted
    assert (root / "jobs.py").read_text("utf-8") == JOBS
    assert _stuck(root) == {"failed": False, "interrupted": True, "timeout": False, "waiting_for_response": True,
                            "done": False, "agent_responded": False, "running": False}


def test_original_behaviour(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert _stuck(root) == {"failed": True, "interrupted": False, "timeout": True, "waiting_for_response": False,
                            "done": False, "agent_responded": False, "running": False}
    assert _settled(root) == ["a", "b"]


def _stuck(root: Path) -> dict[str, bool]:
    """Which statuses `stuck()` reports, per status, and (checked here) that the
    job queue's `settled()` still takes its own `done` and `failed`."""
    code = (
        "import json, sys\n"
        "import watch\n"
        "names = json.loads(sys.argv[1])\n"
        "rows = [{'key': n, 'status': n.upper()} for n in names]\n"
        "print(json.dumps(watch.stuck(rows)))\n"
    )
    names = ["failed", "interrupted", "timeout", "waiting_for_response", "done", "agent_responded", "running"]
    done = subprocess.run([sys.executable, "-c", code, json.dumps(names)], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert _settled(root) == ["a", "b"]
    stuck = json.loads(done.stdout)
    return {n: n in stuck for n in names}


def _settled(root: Path) -> list[str]:
    code = (
        "import json, jobs\n"
        "rows = [{'id': 'a', 'status': 'done'}, {'id': 'b', 'status': 'FAILED'}, {'id': 'c', 'status': 'queued'}]\n"
        "print(json.dumps(jobs.settled(rows)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))
