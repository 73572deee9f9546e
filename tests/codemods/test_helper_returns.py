"""What a helper returns keeps its source. A tuple, unpacked by its caller,
keeps which item is which: `key, entry = newest(agent)` where `newest`
returns `key, store[key]` of a decoded sessions.json gives `entry` the
store's provenance, and the key none; a tuple from a job queue stays another
vocabulary's. A helper that passes its argument through is read per call."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli

BOARD = '''import json
from pathlib import Path

STATE = Path.home() / ".openclaw"


def newest(agent):
    path = STATE / "agents" / agent / "sessions" / "sessions.json"
    store = json.loads(path.read_text(encoding="utf-8"))
    key = max(store, key=lambda k: store[k].get("updatedAt", 0))
    return key, store[key]


def light(agent):
    key, entry = newest(agent)
    if entry.get("status") == "failed":
        return "red"
    return "green" if key == "done" else "amber"
'''

QUEUE = '''import queue

JOBS = queue.Queue()


def next_job():
    job = JOBS.get()
    return job["id"], job


def retry():
    job_id, job = next_job()
    return job["status"] == "failed"
'''


def test_an_unpacked_item_of_a_helpers_tuple_keeps_its_source(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "board"\n', "utf-8")
    (tmp_path / "board.py").write_text(BOARD, "utf-8")
    (tmp_path / "jobs.py").write_text(QUEUE, "utf-8")
    scan = run_cli("scan", ".", "--show-why", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout == (
        "board.py:16:31: status-compare [certain, rewrite] 'failed' -> 'interrupted': compared with "
        '`entry.get("status")`, where `entry`, item 2 of what `newest()` (line 7) returns, `store`, '
        "decoded from `path`, a path naming `sessions.json`\n"
        "2 files scanned, 1 finding: 1 to rewrite, 0 to review (expand phase)\n"
    )
    for phase, compared in (("expand", '("failed", "interrupted")'), ("contract", '"interrupted"')):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        operator = "in" if phase == "expand" else "=="
        assert (tmp_path / "board.py").read_text("utf-8") == BOARD.replace(
            '== "failed"', f"{operator} {compared}")
        # The key (item 1) is no status, and the job queue's tuple is not a session's.
        assert (tmp_path / "jobs.py").read_text("utf-8") == QUEUE


VIEWS = '''def dict_rows(value):
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


async def session_view(rpc):
    data = await rpc("sessions.list", {"limit": 5})
    return [row.get("status") in {"done", "failed"} for row in dict_rows(data.get("sessions"))]


async def job_view(rpc):
    data = await rpc("cron.list", {})
    return [row.get("status") == "failed" for row in dict_rows(data.get("jobs"))]
'''


def test_a_helper_that_passes_its_argument_through_is_read_per_call(tmp_path: Path) -> None:
    """`dict_rows` is called with session rows and with cron jobs: what it
    returns at each call is what that call passed, so the session view is
    rewritten and the job view, another vocabulary, is not."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "views"\n', "utf-8")
    (tmp_path / "views.py").write_text(VIEWS, "utf-8")
    scan = run_cli("scan", ".", "--show-why", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    why = ("compared with `row.get(\"status\")`, where `row` iterates what `dict_rows()` (line 1) returns, `r` "
           "iterates `value` of `dict_rows()` as line 7 passes it, `data.get(\"sessions\")`, the `sessions` of "
           "`data`, a `sessions.list` result")
    assert scan.stdout.splitlines() == [
        f"views.py:7:35: status-membership [certain, rewrite] 'done' -> 'agent_responded': {why}",
        f"views.py:7:43: status-membership [certain, rewrite] 'failed' -> 'interrupted': {why}",
        "1 file scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ]
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "views.py").read_text("utf-8") == VIEWS.replace(
        '{"done", "failed"}', '{"agent_responded", "interrupted"}')
