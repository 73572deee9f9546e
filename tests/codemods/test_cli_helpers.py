"""Session rows read through a project's own wrapper of the ``openclaw`` CLI:
the program is named by a constant (``CLAW = os.environ.get("OPENCLAW_BIN",
"openclaw")``), a helper runs ``[CLAW, *words, "--json"]`` and its callers
give the words (``call("sessions", "--active", "120")``); the rows are kept
on an object (``self.rows = ...`` in a method) that another module reads
(``b.rows`` where ``b: Board``). The same helper runs ``openclaw tasks list``,
whose background task states share the words: they stay."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

RUNNER = '''"""Rows of the local OpenClaw install, through its CLI."""

import json
import os
import subprocess

CLAW = os.environ.get("OPENCLAW_BIN", "openclaw")


def call(*words: str) -> object:
    out = subprocess.check_output([CLAW, *words, "--json"], text=True)
    return json.loads(out)


class Board:
    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.pending: list[dict] = []

    def refresh(self) -> None:
        self.rows = call("sessions", "--active", "120")["sessions"]
        self.pending = call("tasks", "list")


def board() -> Board:
    b = Board()
    b.refresh()
    return b
'''

VIEW = '''from .runner import Board

MARK = {"running": ">", "done": "+", "failed": "!"}


def lines(b: Board) -> list[str]:
    return [MARK.get(r.get("status"), "?") + r["key"] for r in b.rows]


def stuck(b: Board) -> list[str]:
    return [r["key"] for r in b.rows if r.get("status") == "timeout"]


def broken_tasks(b: Board) -> list[str]:
    return [t["id"] for t in b.pending if t.get("status") == "failed"]
'''

# A stand-in for the CLI: session rows with the statuses it is given, and
# background tasks (another vocabulary: queued/running/succeeded/failed/...).
FAKE = '''import json, os, sys
words = sys.argv[1:]
if words[0] == "sessions":
    rows = [{"key": f"s{i}", "status": s} for i, s in enumerate(os.environ["STATUSES"].split(","))]
    print(json.dumps({"count": len(rows), "sessions": rows}))
else:
    print(json.dumps([{"id": "t0", "status": "failed"}, {"id": "t1", "status": "succeeded"}]))
'''

SHOW = '''from deck.runner import board
from deck.view import broken_tasks, lines, stuck
b = board()
print(*lines(b), "|", *stuck(b), "|", *broken_tasks(b))
'''

FILES = {"runner.py": RUNNER, "view.py": VIEW}
EXPANDED = {"view.py": VIEW.replace(
    '{"running": ">", "done": "+", "failed": "!"}',
    '{"running": ">", "done": "+", "agent_responded": "+", "failed": "!", "interrupted": "!"}',
).replace('r.get("status") == "timeout"', 'r.get("status") in ("timeout", "waiting_for_response")')}
CONTRACTED = {"view.py": VIEW.replace(
    '{"running": ">", "done": "+", "failed": "!"}', '{"running": ">", "agent_responded": "+", "interrupted": "!"}',
).replace('r.get("status") == "timeout"', 'r.get("status") == "waiting_for_response"')}


def _tree(root: Path) -> Path:
    package = write_package(root, "deck", FILES)
    fake = root / "fakeclaw"
    fake.write_text(f"#!{sys.executable}\n{FAKE}", "utf-8")
    fake.chmod(0o755)
    return package


def _show(root: Path, statuses: list[str]) -> str:
    env = {**os.environ, "OPENCLAW_BIN": str(root / "fakeclaw"), "STATUSES": ",".join(statuses)}
    done = subprocess.run([sys.executable, "-c", SHOW], cwd=root, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_rows_of_a_cli_helper_kept_on_an_object_and_read_in_another_module(tmp_path: Path) -> None:
    package = _tree(tmp_path)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "deck/view.py:3:25: status-dispatch [certain, rewrite] 'done' -> 'agent_responded'",
        "deck/view.py:3:38: status-dispatch [certain, rewrite] 'failed' -> 'interrupted'",
        "deck/view.py:11:60: status-compare [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "3 files scanned, 3 findings: 3 to rewrite, 0 to review (expand phase)",
    ]
    why = run_cli("scan", ".", "--show-why", cwd=tmp_path).stdout
    assert "`Board.rows`, given at line 21 the `sessions` of what `call()` (line 10) returns, decoded from " \
        "`out`, the output of `openclaw sessions`" in why, why
    before = _show(tmp_path, ["done", "failed", "timeout", "running"])
    assert before == "+s0 !s1 ?s2 >s3 | s2 | t0"
    apply_phase(tmp_path, "expand", package, FILES, EXPANDED)
    assert _show(tmp_path, ["done", "failed", "timeout", "running"]) == before
    new = ["agent_responded", "interrupted", "waiting_for_response", "running"]
    assert _show(tmp_path, new) == before
    apply_phase(tmp_path, "contract", package, FILES, CONTRACTED)
    assert _show(tmp_path, new) == before


def test_contract_from_the_original_tree_gives_the_same_bytes(tmp_path: Path) -> None:
    package = _tree(tmp_path)
    apply_phase(tmp_path, "contract", package, FILES, CONTRACTED)


def test_the_same_helper_running_another_command_changes_nothing(tmp_path: Path) -> None:
    """Only the session command's rows are session rows: the helper's other
    command (`openclaw tasks list`) and a helper that runs another program
    (rq) give another vocabulary's records, in the same module, on the
    same object."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "ops"\n', "utf-8")
    text = '''import json
import shutil
import subprocess

CLAW = shutil.which("openclaw") or "openclaw"
RQ = shutil.which("rq") or "rq"


def run(*args):
    return json.loads(subprocess.run([CLAW, *args, "--json"], capture_output=True, text=True).stdout)


def queue(*args):
    return json.loads(subprocess.run([RQ, *args], capture_output=True, text=True).stdout)


class Ops:
    def __init__(self):
        self.rows = run("sessions")["sessions"]
        self.background = run("tasks", "list")
        self.jobs = queue("info", "--json")


def report(ops: Ops):
    ended = [r for r in ops.rows if r.get("status") == "done"]
    bad = [t for t in ops.background if t.get("status") == "failed"]
    late = [j for j in ops.jobs if j.get("status") in ("timeout", "killed")]
    return ended, bad, late
'''
    (tmp_path / "ops.py").write_text(text, "utf-8")
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "ops.py:25:56: status-compare [certain, rewrite] 'done' -> 'agent_responded'",
        "1 file scanned, 1 finding: 1 to rewrite, 0 to review (expand phase)",
    ], scan.stdout
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ops.py").read_text("utf-8") == text.replace('== "done"', '== "agent_responded"')


SNAP = '''import json
import subprocess
from dataclasses import dataclass, field

CLI = "openclaw"


def run(*argv: str) -> object:
    return json.loads(subprocess.run([CLI, *argv, "--json"], capture_output=True, text=True, check=True).stdout)


@dataclass
class Snap:
    rows: list = field(default_factory=list)
    tasks: list = field(default_factory=list)


def take() -> Snap:
    return Snap(rows=run("sessions")["sessions"])


def refresh(snap: Snap) -> None:
    snap.rows = run("sessions", "--all-agents")["sessions"]
    snap.tasks = run("tasks", "list")
'''

READER = '''from .snap import Snap


def over(snap: Snap) -> list[str]:
    return [r["key"] for r in snap.rows if r["status"] in ("done", "killed")]


def broken(snap: Snap) -> int:
    return sum(1 for t in snap.tasks if t["status"] == "failed")
'''


def test_an_attribute_given_by_keyword_or_set_on_an_instance_elsewhere(tmp_path: Path) -> None:
    """`Snap(rows=...)` and `snap.rows = ...` on an instance a function is
    given: what the attribute holds, for the module that reads `snap.rows`."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shot"\n', "utf-8")
    package = tmp_path / "shot"
    package.mkdir()
    (package / "__init__.py").write_text("", "utf-8")
    (package / "snap.py").write_text(SNAP, "utf-8")
    (package / "reader.py").write_text(READER, "utf-8")
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "shot/reader.py:5:60: status-membership [certain, rewrite] 'done' -> 'agent_responded'",
        "shot/reader.py:5:68: status-membership [certain, rewrite] 'killed' -> 'halted'",
        "3 files scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ], scan.stdout
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (package / "reader.py").read_text("utf-8") == READER.replace(
        '("done", "killed")', '("agent_responded", "halted")')
    assert (package / "snap.py").read_text("utf-8") == SNAP
