"""A constant whose items are taken one at a time: a viewer's filters
(``VIEWS = ("any", "failed", "timeout")``) walked by ``for want in VIEWS``
and cycled with ``next(itertools.cycle(VIEWS))``, each item passed to a
function that compares it with the status of ``sessions.json`` entries. A
job report walks its own states the same way: it stays."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

PEEK = '''import itertools
import json
from pathlib import Path

VIEWS = ("any", "failed", "timeout")
JOB_VIEWS = ("failed", "done")


def entries(state_dir: Path) -> list[dict]:
    data = json.loads((state_dir / "agents" / "main" / "sessions" / "sessions.json").read_text())
    return [{"key": k, **v} for k, v in data.items()]


def pick(rows: list[dict], want: str) -> list[str]:
    return sorted(r["key"] for r in rows if want == "any" or r.get("status") == want)


def summary(state_dir: Path) -> list[str]:
    rows = entries(state_dir)
    return [f"{want}={len(pick(rows, want))}" for want in VIEWS]


def pages(state_dir: Path):
    views = itertools.cycle(VIEWS)
    rows = entries(state_dir)
    while True:
        view = next(views)
        yield view, pick(rows, view)


def job_summary(jobs: list[dict]) -> list[str]:
    out = []
    for state in JOB_VIEWS:
        out.append(f"{state}={sum(1 for j in jobs if j['status'] == state)}")
    return out
'''

RUN = '''import itertools
from pathlib import Path
from peek import job_summary, pages, summary
print(*summary(Path("../state")))
print(*(f"{v}:{len(keys)}" for v, keys in itertools.islice(pages(Path("../state")), 4)))
print(*job_summary([{"status": "failed"}, {"status": "done"}, {"status": "done"}]))
'''
EXPANDED = PEEK.replace('VIEWS = ("any", "failed", "timeout")',
                        'VIEWS = ("any", "failed", "interrupted", "timeout", "waiting_for_response")')
CONTRACTED = PEEK.replace('VIEWS = ("any", "failed", "timeout")', 'VIEWS = ("any", "interrupted", "waiting_for_response")')


def _tree(root: Path, statuses: list[str]) -> None:
    # The store lives beside the project, not in it: the run is on code.
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "peek"\n', "utf-8")
    (root / "peek.py").write_text(PEEK, "utf-8")
    _store(root, statuses)


def _store(root: Path, statuses: list[str]) -> None:
    store = root.parent / "state" / "agents" / "main" / "sessions"
    store.mkdir(parents=True, exist_ok=True)
    entries = {f"agent:main:{i}": {"sessionId": str(i), "status": s} for i, s in enumerate(statuses)}
    (store / "sessions.json").write_text(json.dumps(entries), "utf-8")


def _run(root: Path) -> list[str]:
    done = subprocess.run([sys.executable, "-c", RUN], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_filters_taken_one_at_a_time_and_compared_with_session_statuses(tmp_path: Path) -> None:
    tmp_path = tmp_path / "proj"
    old = ["failed", "timeout", "timeout", "done"]
    new = ["interrupted", "waiting_for_response", "waiting_for_response", "agent_responded"]
    _tree(tmp_path, old)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "peek.py:5:17: status-constant [certain, rewrite] 'failed' -> 'interrupted'",
        "peek.py:5:27: status-constant [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "1 file scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ]
    why = run_cli("scan", ".", "--show-why", cwd=tmp_path).stdout
    assert "one item at a time as `want`, passed to `pick()` at line 20, which compares it" in why, why
    assert _run(tmp_path) == ["any=4 failed=1 timeout=2", "any:4 failed:1 timeout:2 any:4", "failed=1 done=2"]
    done = run_cli("apply", ".", "--write", "--phase", "expand", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "peek.py").read_text("utf-8") == EXPANDED
    # Both names are walked: the old rows as before, the new ones found too.
    assert _run(tmp_path) == ["any=4 failed=1 interrupted=0 timeout=2 waiting_for_response=0",
                              "any:4 failed:1 interrupted:0 timeout:2", "failed=1 done=2"]
    _store(tmp_path, new)
    assert _run(tmp_path)[0] == "any=4 failed=0 interrupted=1 timeout=0 waiting_for_response=2"
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "peek.py").read_text("utf-8") == CONTRACTED
    assert _run(tmp_path) == ["any=4 interrupted=1 waiting_for_response=2",
                              "any:4 interrupted:1 waiting_for_response:2 any:4", "failed=1 done=2"]


def test_contract_from_the_original_tree_gives_the_same_bytes(tmp_path: Path) -> None:
    tmp_path = tmp_path / "proj"
    _tree(tmp_path, ["done"])
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "peek.py").read_text("utf-8") == CONTRACTED


def test_items_compared_with_another_vocabulary_stay(tmp_path: Path) -> None:
    """The same walk over the states of a job queue, and over the outcomes
    of subagent runs read from subagents/runs.json: nothing changes."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "runs"\n', "utf-8")
    text = '''import itertools
import json

OUTCOMES = ("ok", "error", "timeout")
STATES = ("failed", "done")


def runs():
    return json.load(open("subagents/runs.json"))["runs"]


def by_outcome(status):
    return [r for r in runs() if r["outcome"]["status"] == status]


def report(queue):
    for state in STATES:
        print(state, [j.id for j in queue.jobs if j.get_status() == state])
    ring = itertools.cycle(OUTCOMES)
    first = next(ring)
    return by_outcome(first)
'''
    (tmp_path / "runs.py").write_text(text, "utf-8")
    for phase in ("expand", "contract"):
        done = run_cli("apply", ".", "--write", "--phase", phase, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "runs.py").read_text("utf-8") == text
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert "rewrite]" not in scan.stdout, scan.stdout
