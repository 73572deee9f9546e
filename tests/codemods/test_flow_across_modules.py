"""Flow across modules: a helper's parameter is joined over its call sites in
other modules, and a helper called through a module attribute
(`gateway.list_sessions()` after `from . import gateway`) is followed to
its return. `rows_of(raw)` in `crew/rows.py` builds `SessionRow`s from
what `crew/shift.py` passes it, `rows_of(gateway.list_sessions())`, a
sessions_list result: the class's status tests are session tests, though
neither `crew/shift.py` nor `crew/gateway.py` quotes an old name. The task queue's `tasks_of(pending())`, rows of
a `tasks/` file, stays as it is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

GATEWAY = '''import json
import urllib.request

URL = "http://127.0.0.1:18789/tools/invoke"


def invoke(tool, args):
    body = json.dumps({"tool": tool, "args": args}).encode()
    with urllib.request.urlopen(urllib.request.Request(URL, data=body)) as reply:
        return json.loads(reply.read())


def list_sessions():
    return invoke("sessions_list", {})["details"]["sessions"]
'''

ROWS = '''from dataclasses import dataclass


@dataclass
class SessionRow:
    key: str
    status: str

    @classmethod
    def from_row(cls, row):
        return cls(str(row.get("key") or ""), str(row.get("status") or ""))

    @property
    def crashed(self):
        return self.status in {"failed", "killed"}

    @property
    def answered(self):
        return self.status == "done"


def rows_of(raw):
    return [SessionRow.from_row(r) for r in raw if r.get("key")]
'''

SHIFT = '''from . import gateway
from .rows import rows_of


def crashed_keys():
    return [row.key for row in rows_of(gateway.list_sessions()) if row.crashed]
'''

TASKS = '''from dataclasses import dataclass


@dataclass
class TaskRow:
    key: str
    status: str

    @property
    def crashed(self):
        return self.status in {"failed", "killed"}


def tasks_of(raw):
    return [TaskRow(r["key"], r["status"]) for r in raw]
'''

QUEUE = '''import json
from pathlib import Path

from . import tasks


def pending():
    return json.loads(Path("tasks/queue.json").read_text("utf-8"))


def stuck():
    return [t.key for t in tasks.tasks_of(pending()) if t.crashed]
'''

FILES = {"gateway.py": GATEWAY, "rows.py": ROWS, "shift.py": SHIFT, "tasks.py": TASKS, "queue_watch.py": QUEUE}
BUILT = ("a `SessionRow` built in crew/rows.py:23 from `r` iterates `raw` of `rows_of()` is passed, at "
         "crew/shift.py:6, `gateway.list_sessions()`, what `list_sessions()` (crew/gateway.py:13) returns, the "
         "`sessions` of the `details` of a `sessions_list` result")


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "crew"
    (root / "crew").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "crew"\n', "utf-8")
    (root / "crew" / "__init__.py").write_text("", "utf-8")
    for name, text in FILES.items():
        (root / "crew" / name).write_text(text, "utf-8")
    return root


def test_a_parameter_is_joined_over_call_sites_in_other_modules(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", "--show-why", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    untied = "compared with `self.status`, but nothing ties it to OpenClaw"
    assert scan.stdout.splitlines() == [
        f"crew/rows.py:15:32: status-membership [certain, rewrite] 'failed' -> 'interrupted': compared with "
        f"`self.status`, where `self` is {BUILT}",
        f"crew/rows.py:15:42: status-membership [certain, rewrite] 'killed' -> 'halted': compared with "
        f"`self.status`, where `self` is {BUILT}",
        f"crew/rows.py:19:31: status-compare [certain, rewrite] 'done' -> 'agent_responded': compared with "
        f"`self.status`, where `self` is {BUILT}",
        # The task queue's rows come from no session source: listed, never rewritten.
        "to review (2):",
        f"crew/tasks.py:11:32: status-membership [possible, review] 'failed' -> 'interrupted': {untied}",
        f"crew/tasks.py:11:42: status-membership [possible, review] 'killed' -> 'halted': {untied}",
        "6 files scanned, 5 findings: 3 to rewrite, 2 to review (expand phase)",
    ]


def test_after_expand_and_contract(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    names = ("failed", "killed", "done", "interrupted", "halted", "agent_responded")
    assert _behaviour(root) == {s: [s in ("failed", "killed"), s == "done"] for s in names}
    expanded = {**FILES, "rows.py": ROWS.replace('{"failed", "killed"}', '{"failed", "interrupted", "killed", "halted"}')
                .replace('self.status == "done"', 'self.status in ("done", "agent_responded")')}
    contracted = {**FILES, "rows.py": ROWS.replace('{"failed", "killed"}', '{"interrupted", "halted"}')
                  .replace('self.status == "done"', 'self.status == "agent_responded"')}
    for phase, want, crashed, answered in (
        ("expand", expanded, {"failed", "killed", "interrupted", "halted"}, {"done", "agent_responded"}),
        ("contract", contracted, {"interrupted", "halted"}, {"agent_responded"}),
    ):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert {name: (root / "crew" / name).read_text("utf-8") for name in FILES} == want, phase
        assert _behaviour(root) == {s: [s in crashed, s in answered] for s in names}, phase


def _behaviour(root: Path) -> dict[str, list[bool]]:
    """`SessionRow.crashed` and `.answered` per status; the task queue's
    `TaskRow.crashed` is checked to answer as it always did."""
    code = (
        "import json\n"
        "from crew import rows, tasks\n"
        "names = ['failed', 'killed', 'done', 'interrupted', 'halted', 'agent_responded']\n"
        "assert [tasks.TaskRow('t', s).crashed for s in names] == [True, True, False, False, False, False]\n"
        "made = {s: rows.SessionRow.from_row({'key': 'k', 'status': s}) for s in names}\n"
        "print(json.dumps({s: [r.crashed, r.answered] for s, r in made.items()}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))
