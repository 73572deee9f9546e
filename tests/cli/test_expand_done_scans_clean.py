"""Once ``apply --write --phase expand`` has done what expand can do, ``scan``
in expand exits 0: the project's own data files, which expand keeps in the
old names by design (readers accept both), are said as contract pending, as
a writer kept in expand is. Contract then finds them, and rewrites them."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import run_cli

POLL = '''import json


def finished(path):
    with open(path) as f:
        rows = json.load(f)["sessions"]
    return [r for r in rows if r["status"] == "done"]
'''
CONFIG = ('[tool.migrator]\ntarget-version = "2026.9.6"\nmarkers = ["json.load"]\n\n'
          '[[tool.migrator.data]]\npaths = ["exports/*.jsonl", "exports/*.json"]\n'
          'pointers = ["/status", "/sessions/*/status"]\n')


def _tree(root: Path) -> Path:
    (root / "exports").mkdir(parents=True)
    (root / "pyproject.toml").write_text(CONFIG)
    (root / "poll.py").write_text(POLL)
    (root / "exports" / "runs.jsonl").write_text('{"status": "done"}\n{"status": "running"}\n')
    (root / "exports" / "list.json").write_text('{"sessions": [{"status": "killed"}]}\n')
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=root, check=True)
    return root


def test_scan_after_expand_write_exits_0_and_contract_finds_the_rest(tmp_path: Path) -> None:
    root = _tree(tmp_path / "p")
    written = run_cli("apply", ".", "--write", "--no-cache", "--allow-dirty", cwd=root)
    assert written.returncode == 0, written.stderr
    assert (root / "poll.py").read_text() == POLL.replace('== "done"', 'in ("done", "agent_responded")')
    scan = run_cli("scan", ".", "--no-cache", cwd=root)
    assert scan.returncode == 0, scan.stdout
    lines = scan.stdout.splitlines()
    assert lines[-1] == "3 files scanned, 0 findings: 0 to rewrite, 0 to review (expand phase)"
    assert "exports/list.json:1:26: data-rule: `killed` kept in expand (your own data) at /sessions/0/status, " \
           "`halted` in contract: contract pending" in lines
    assert "exports/runs.jsonl:1:12: data-rule: `done` kept in expand (your own data) at /status, " \
           "`agent_responded` in contract: contract pending" in lines
    check = run_cli("apply", ".", "--check", "--no-cache", cwd=root)
    assert check.returncode == 0, check.stderr
    contract = run_cli("scan", ".", "--phase", "contract", "--no-cache", cwd=root)
    assert contract.returncode == 1
    assert [line.split(": ")[0] for line in contract.stdout.splitlines()[:-1]] == [
        "exports/list.json:1:26", "exports/runs.jsonl:1:12", "poll.py:7:48",
    ]
