"""A function given the items of an iterable by a builtin (`sorted(rows,
key=rank)`, `filter(is_dead, rows)`, `rows.sort(key=rank)`): its parameter
holds a row, so what it tests is a session status where the rows are
session rows. The same helper applied to jobs stays."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

FILES = {
    "board.py": '''ORDER = ["failed", "timeout", "running", "done"]


def rank(row):
    status = row.get("status")
    return ORDER.index(status) if status in ORDER else len(ORDER)


def is_dead(row):
    return row["status"] == "killed"


def board(client):
    rows = client.invoke("sessions_list", {})["details"]["sessions"]
    rows.sort(key=rank)
    return sorted(rows, key=rank), list(filter(is_dead, rows))


def job_done(job):
    return job["state"] == "done"


def finished(queue):
    return list(filter(job_done, queue.jobs()))
''',
}


def test_a_function_given_the_rows_by_a_builtin_tests_session_statuses(tmp_path: Path) -> None:
    package = write_package(tmp_path, "desk", FILES)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "desk/board.py:1:10: status-constant [certain, rewrite] 'failed' -> 'interrupted'",
        "desk/board.py:1:20: status-constant [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "desk/board.py:1:42: status-constant [certain, rewrite] 'done' -> 'agent_responded'",
        "desk/board.py:10:29: status-compare [certain, rewrite] 'killed' -> 'halted'",
        "2 files scanned, 4 findings: 4 to rewrite, 0 to review (expand phase)",
    ]
    text = FILES["board.py"]
    # ORDER is also read outside a status test (`ORDER.index`, `len(ORDER)`):
    # contract gives it expand's edit and lists it for review.
    apply_phase(tmp_path, "contract", package, FILES, {"board.py": text.replace(
        '["failed", "timeout", "running", "done"]',
        '["failed", "interrupted", "timeout", "waiting_for_response", "running", "done", "agent_responded"]',
    ).replace('row["status"] == "killed"', 'row["status"] == "halted"')})
