"""A constant of one module whose items another module takes one at a
time and compares with a session status (`for status in
vocab.STATUSES: ... r.get("status") == status`) is used as session
statuses there. Here nothing names the gateway: the rows are known by a
key only session rows have (`abortedLastRun`) in a module that quotes an
old name, which ties the tree as naming the gateway would. The job states a loop compares with a job's
state stay."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

FILES = {
    "vocab.py": '''STATUSES = ["running", "done", "failed"]
JOB_STATES = ["queued", "done", "failed"]
''',
    "report.py": '''import json
import sys

from . import vocab


def counts(path):
    rows = json.load(open(path))
    stopped = [r["key"] for r in rows if r.get("status") == "killed" and r.get("abortedLastRun")]
    out = {}
    for status in vocab.STATUSES:
        out[status] = sum(1 for r in rows if r.get("status") == status)
    return out, stopped


def jobs(queue):
    return {state: [j for j in queue if j["state"] == state] for state in vocab.JOB_STATES}


if __name__ == "__main__":
    print(counts(sys.argv[1]))
''',
}


def test_a_loop_over_an_imported_constant_uses_it(tmp_path: Path) -> None:
    package = write_package(tmp_path, "fleet", FILES)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "fleet/report.py:9:61: status-compare [likely, rewrite] 'killed' -> 'halted'",
        "fleet/vocab.py:1:24: status-constant [likely, rewrite] 'done' -> 'agent_responded'",
        "fleet/vocab.py:1:32: status-constant [likely, rewrite] 'failed' -> 'interrupted'",
        "3 files scanned, 3 findings: 3 to rewrite, 0 to review (expand phase)",
    ]
    report = FILES["report.py"]
    apply_phase(tmp_path, "expand", package, FILES, {"vocab.py": FILES["vocab.py"].replace(
        '["running", "done", "failed"]', '["running", "done", "agent_responded", "failed", "interrupted"]'),
        "report.py": report.replace('== "killed"', 'in ("killed", "halted")')})
    apply_phase(tmp_path, "contract", package, FILES, {"vocab.py": FILES["vocab.py"].replace(
        '["running", "done", "failed"]', '["running", "agent_responded", "interrupted"]'),
        "report.py": report.replace('== "killed"', '== "halted"')})
