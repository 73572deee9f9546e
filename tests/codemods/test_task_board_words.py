"""A task board beside session rows, in one module, as a real one has it:
the module reads every agent's `sessions.json` (a session source), and its
own tasks move through `backlog`, `in_progress`, `review` and `done`. A
status of unknown origin tested beside a task board's columns is the board's,
left alone; the sessions' test, beside `blocked` even, is a session status
whose other words stay as written."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

FILES = {
    "board.py": '''import json
from pathlib import Path


def idle_sessions(root):
    out = []
    for path in sorted(Path(root).glob("agents/*/sessions/sessions.json")):
        for key, entry in json.loads(path.read_text()).items():
            if entry.get("status") in ("done", "blocked"):
                out.append(key)
    return out


def next_column(status, reviewed):
    if status == "in_progress":
        return "review"
    if status == "review" and reviewed:
        return "done"
    if status in {"backlog", "todo"}:
        return "in_progress"
    return status


def progress(status):
    if status == "done":
        return 100
    return 50 if status in ("in_progress", "review") else 0
''',
}


def test_the_board_s_done_is_left_alone(tmp_path: Path) -> None:
    write_package(tmp_path, "tasks", FILES)
    scan = run_cli("scan", ".", "--min-confidence", "possible", "--show-why", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "tasks/board.py:9:40: status-membership [certain, rewrite] 'done' -> 'agent_responded': compared with "
        "`entry.get(\"status\")`, where `entry` iterates decoded from `path` iterates a path naming `sessions.json`; "
        "'blocked' kept as written",
        "2 files scanned, 1 finding: 1 to rewrite, 0 to review (expand phase)",
    ]


def test_both_phases_touch_the_session_test_only(tmp_path: Path) -> None:
    package = write_package(tmp_path, "tasks", FILES)
    board = FILES["board.py"]
    apply_phase(tmp_path, "expand", package, FILES, {"board.py": board.replace(
        'in ("done", "blocked")', 'in ("done", "agent_responded", "blocked")')})
    apply_phase(tmp_path, "contract", package, FILES, {"board.py": board.replace(
        'in ("done", "blocked")', 'in ("agent_responded", "blocked")')})


SEEDS = {
    "seed.py": '''import json
from pathlib import Path

STORE = Path("agents/main/sessions/sessions.json")

DEFAULT_TASKS = [
    {"id": 1, "title": "bridge", "status": "in_progress"},
    {"id": 2, "title": "feed", "status": "done"},
]

SAMPLE_SESSIONS = [
    {"key": "agent:main:a", "status": "done"},
    {"key": "agent:main:b", "status": "failed"},
]


def sessions():
    return json.loads(STORE.read_text())
''',
}


def test_a_record_beside_a_task_board_s_records_is_the_board_s(tmp_path: Path) -> None:
    # The seeded tasks hold `in_progress`: their `done` is the board's. The
    # sample sessions hold session words only: listed for review, as before.
    write_package(tmp_path, "seed", SEEDS)
    scan = run_cli("scan", ".", "--phase", "contract", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "to review (2):",
        "seed/seed.py:12:39: status-writer [possible, review] 'done' -> 'agent_responded'",
        "seed/seed.py:13:39: status-writer [possible, review] 'failed' -> 'interrupted'",
        "2 files scanned, 2 findings: 0 to rewrite, 2 to review (contract phase)",
    ]
