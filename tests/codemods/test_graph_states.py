"""A graph of steps over a state the framework passes from step to step
(LangGraph's `StateGraph` and its like): no call of the module passes the
state, so its status is known by the state's type. A step annotated
`(memo: Memo) -> Memo` that returns `{"status": row["status"]}` for a
session row found with `next((r for r in rows if ...), None)` fills the
status every `memo: Memo` holds: the dispatch dict looked up with
`memo["status"]` and the `match memo["status"]:` cases are session readers.
The same graph over `agents_wait` child runs (their status words are the
same) is left as it is: its state's status is another vocabulary's."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli, write_package

API = '''import json
import urllib.request

URL = "http://127.0.0.1:18789/tools/invoke"


def call(tool, args):
    body = json.dumps({"tool": tool, "args": args}).encode()
    with urllib.request.urlopen(urllib.request.Request(URL, data=body, method="POST")) as resp:
        return json.load(resp)["result"]["details"]


def session_row(key):
    rows = call("sessions_list", {"search": key})["sessions"]
    return next((r for r in rows if r["key"] == key), None)


def child_runs(ids):
    return call("agents_wait", {"ids": ids})["completed"]
'''

STEPS = '''from typing import Any, TypedDict

from pipeline import api


class Memo(TypedDict, total=False):
    key: str
    status: Any
    note: str


ROUTES = {"done": "archive", "failed": "retry", "killed": "archive", "running": "poll"}


def fetch(memo: Memo) -> Memo:
    row = api.session_row(memo["key"])
    if row is None:
        return {"status": None, "note": "gone"}
    return {"status": row["status"], "note": row.get("label", "")}


def route(memo: Memo) -> str:
    return ROUTES.get(memo["status"], "stop")


def explain(memo: Memo) -> str:
    match memo["status"]:
        case "timeout":
            return "slow"
        case "failed":
            return "broken"
        case _:
            return "fine"
'''

# The same shape of graph over agents_wait child runs: their words stay.
CHILDREN = '''from typing import Any

from pipeline import api

Step = dict[str, Any]

NEXT = {"done": "merge", "failed": "respawn", "timeout": "respawn"}


def gather(step: Step) -> Step:
    runs = api.child_runs(step["ids"])
    return {"status": runs[0]["status"], "runs": runs}


def after(step: Step) -> str:
    return NEXT.get(step["status"], "stop")


def blame(step: Step) -> str:
    match step["status"]:
        case "killed":
            return "cut"
        case "failed":
            return "crashed"
    return "ok"
'''

EXPANDED = STEPS.replace(
    'ROUTES = {"done": "archive", "failed": "retry", "killed": "archive", "running": "poll"}',
    'ROUTES = {"done": "archive", "agent_responded": "archive", "failed": "retry", "interrupted": "retry", '
    '"killed": "archive", "halted": "archive", "running": "poll"}',
).replace('case "timeout":', 'case "timeout" | "waiting_for_response":').replace(
    'case "failed":', 'case "failed" | "interrupted":')

CONTRACTED = STEPS.replace(
    'ROUTES = {"done": "archive", "failed": "retry", "killed": "archive", "running": "poll"}',
    'ROUTES = {"agent_responded": "archive", "interrupted": "retry", "halted": "archive", "running": "poll"}',
).replace('case "timeout":', 'case "waiting_for_response":').replace('case "failed":', 'case "interrupted":')

WHY = ("`memo` is a `Memo`, whose status `fetch()` returns as a copy of a row, its status from `row`, what "
       "`session_row()` (pipeline/api.py:13) returns, `r` iterates `rows`, the `sessions` of a `sessions_list` result")


def _tree(tmp_path: Path) -> Path:
    write_package(tmp_path, "pipeline", {"api.py": API, "steps.py": STEPS, "children.py": CHILDREN})
    return tmp_path


def test_a_state_typed_step_reads_the_status_its_steps_write(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", "--show-why", "--min-confidence", "possible", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    keyed = "[certain, rewrite] {!r} -> {!r}: constant `ROUTES` is used in a status test: keyed by `memo[\"status\"]`, where "
    matched = "[certain, rewrite] {!r} -> {!r}: matched on `memo[\"status\"]`, where "
    assert scan.stdout.splitlines() == [
        "pipeline/steps.py:12:11: status-dispatch " + keyed.format("done", "agent_responded") + WHY,
        "pipeline/steps.py:12:30: status-dispatch " + keyed.format("failed", "interrupted") + WHY,
        "pipeline/steps.py:12:49: status-dispatch " + keyed.format("killed", "halted") + WHY,
        "pipeline/steps.py:28:14: status-match " + matched.format("timeout", "waiting_for_response") + WHY,
        "pipeline/steps.py:30:14: status-match " + matched.format("failed", "interrupted") + WHY,
        "4 files scanned, 5 findings: 5 to rewrite, 0 to review (expand phase)",
    ]


def test_expand_then_contract_and_the_graph_still_routes(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    old = {"done": ["archive", "fine"], "failed": ["retry", "broken"], "timeout": ["stop", "slow"],
           "killed": ["archive", "fine"]}
    children = {"failed": ["respawn", "crashed"], "killed": ["stop", "cut"], "timeout": ["respawn", "ok"]}
    assert _behaviour(root, list(old)) == {"sessions": old, "children": children}
    done = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    files = ("api.py", "steps.py", "children.py")
    assert [(root / "pipeline" / n).read_text("utf-8") for n in files] == [API, EXPANDED, CHILDREN]
    # Expanded, the graph routes a session by either name.
    new = {"agent_responded": old["done"], "interrupted": old["failed"], "waiting_for_response": old["timeout"],
           "halted": old["killed"]}
    assert _behaviour(root, [*old, *new]) == {"sessions": {**old, **new}, "children": children}
    fresh = tmp_path.parent / f"{tmp_path.name}-fresh"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".migrator"))
    for tree in (root, fresh):
        done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=tree)
        assert done.returncode == 0, done.stderr
        assert [(tree / "pipeline" / n).read_text("utf-8") for n in files] == [API, CONTRACTED, CHILDREN]
    assert _behaviour(root, list(new)) == {"sessions": new, "children": children}


def _behaviour(root: Path, statuses: list[str]) -> dict[str, dict[str, list[str]]]:
    """Where the graph sends a session row of each status (the gateway's
    answer stood in for by ``api.call``), and where it sends each child run."""
    code = (
        "import json, sys\n"
        "from pipeline import api, children, steps\n"
        "statuses = json.loads(sys.argv[1])\n"
        "now = {}\n"
        "def call(tool, args):\n"
        "    if tool == 'sessions_list':\n"
        "        return {'sessions': [{'key': 'k', 'status': now['status']}]}\n"
        "    return {'completed': [{'runId': 'r', 'status': now['status']}]}\n"
        "api.call = call\n"
        "out = {'sessions': {}, 'children': {}}\n"
        "for s in statuses:\n"
        "    now['status'] = s\n"
        "    memo = steps.fetch({'key': 'k'})\n"
        "    out['sessions'][s] = [steps.route(memo), steps.explain(memo)]\n"
        "for s in ('failed', 'killed', 'timeout'):\n"
        "    now['status'] = s\n"
        "    step = children.gather({'ids': ['r']})\n"
        "    out['children'][s] = [children.after(step), children.blame(step)]\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, json.dumps(statuses)], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))
