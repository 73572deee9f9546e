"""A dispatch table that is no module constant: a dict held on `self` (assigned
once, in `__init__`) or bound to a local, looked up with a session status, is
judged like a module-level table: its keys gain the new names in expand and
take them in contract. A `self.handlers` table keyed by a download's states
stays as it is, and so does a counter whose keys are also its output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

SHIFT = '''import json
import subprocess


def listed():
    proc = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout).get("sessions", [])


class Shift:
    def __init__(self):
        self.seen = []
        self.reactions = {
            "failed": self.respawn,
            "timeout": self.nudge,
        }

    def respawn(self, row):
        self.seen.append(("respawn", row["key"]))

    def nudge(self, row):
        self.seen.append(("nudge", row["key"]))

    def react(self, rows):
        for row in rows:
            act = self.reactions.get(row.get("status") or "")
            if act is not None:
                act(row)
        return self.seen


def labels(rows):
    names = {"done": "answered", "killed": "stopped"}
    return [names.get(row["status"], "other") for row in rows]


def tally(rows):
    counts = {"done": 0, "failed": 0}
    for row in rows:
        if row["status"] in counts:
            counts[row["status"]] += 1
    return counts


def main():
    print(Shift().react(listed()), labels(listed()), tally(listed()))
'''

FETCH = '''import urllib.request


class Fetcher:
    def __init__(self):
        self.log = []
        self.handlers = {"pending": self.wait, "done": self.keep, "failed": self.retry, "timeout": self.retry}

    def wait(self, request):
        self.log.append("wait")

    def keep(self, request):
        self.log.append("keep")

    def retry(self, request):
        self.log.append("retry")

    def poll(self, request):
        self.handlers.get(request.status, self.wait)(request)
        return self.log


def open_url(url):
    return urllib.request.urlopen(url, timeout=10)
'''

WHY = ("where `row` iterates `rows` of `labels()` is passed, at line 46, `listed()`, what `listed()` (shift.py:5) "
       "returns, the `sessions` of decoded from `proc`, the output of `openclaw sessions`")


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shift"\n', "utf-8")
    (tmp_path / "shift.py").write_text(SHIFT, "utf-8")
    (tmp_path / "fetch.py").write_text(FETCH, "utf-8")
    return tmp_path


def test_tables_on_self_and_in_a_local_are_dispatch_tables(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", "--show-why", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    # A method's parameter is joined over its calls through an instance (`Shift().react(listed())`).
    held = "keyed by `row.get(\"status\")`, " + WHY.replace("`labels()`", "`react()`")
    local = f"keyed by `row[\"status\"]`, {WHY}"
    assert scan.stdout.splitlines() == [
        f"shift.py:14:13: status-dispatch [certain, rewrite] 'failed' -> 'interrupted': {held}",
        f"shift.py:15:13: status-dispatch [certain, rewrite] 'timeout' -> 'waiting_for_response': {held}",
        f"shift.py:33:14: status-dispatch [certain, rewrite] 'done' -> 'agent_responded': {local}",
        f"shift.py:33:34: status-dispatch [certain, rewrite] 'killed' -> 'halted': {local}",
        "2 files scanned, 4 findings: 4 to rewrite, 0 to review (expand phase)",
    ]


def test_after_expand_and_contract(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert _behaviour(root) == ORIGINAL
    done = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    expanded = SHIFT.replace(
        '"failed": self.respawn,\n            "timeout": self.nudge,\n',
        '"failed": self.respawn,\n            "interrupted": self.respawn,\n'
        '            "timeout": self.nudge,\n            "waiting_for_response": self.nudge,\n',
    ).replace('{"done": "answered", "killed": "stopped"}',
              '{"done": "answered", "agent_responded": "answered", "killed": "stopped", "halted": "stopped"}')
    assert (root / "shift.py").read_text("utf-8") == expanded
    assert (root / "fetch.py").read_text("utf-8") == FETCH
    assert _behaviour(root) == {**ORIGINAL, **{new: ORIGINAL[old] for old, new in RENAMED.items()}}
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    contracted = SHIFT.replace('"failed": self.respawn', '"interrupted": self.respawn').replace(
        '"timeout": self.nudge', '"waiting_for_response": self.nudge').replace(
        '{"done": "answered", "killed": "stopped"}', '{"agent_responded": "answered", "halted": "stopped"}')
    assert (root / "shift.py").read_text("utf-8") == contracted
    assert (root / "fetch.py").read_text("utf-8") == FETCH
    # Contract: the new names act as the old ones did; the old ones no longer do.
    assert _behaviour(root) == {
        **{old: (None, "other") for old in RENAMED}, "running": (None, "other"),
        **{new: ORIGINAL[old] for old, new in RENAMED.items()},
    }


RENAMED = {"failed": "interrupted", "timeout": "waiting_for_response", "done": "agent_responded", "killed": "halted"}
ORIGINAL: dict[str, tuple[str | None, str]] = {
    "failed": ("respawn", "other"), "timeout": ("nudge", "other"), "done": (None, "answered"),
    "killed": (None, "stopped"), "running": (None, "other"),
    **{new: (None, "other") for new in RENAMED.values()},
}


def _behaviour(root: Path) -> dict[str, tuple[str | None, str]]:
    """Per status: what `Shift.react` does with a row of it and the label
    `labels` gives it; the download states of `Fetcher.poll` are checked
    to act as they always did."""
    code = (
        "import json, sys\n"
        "import fetch, shift\n"
        "out = {}\n"
        "for status in json.loads(sys.argv[1]):\n"
        "    rows = [{'key': 'k', 'status': status}]\n"
        "    seen = shift.Shift().react(rows)\n"
        "    out[status] = [seen[0][0] if seen else None, shift.labels(rows)[0]]\n"
        "class Request:\n"
        "    def __init__(self, status):\n"
        "        self.status = status\n"
        "polled = [fetch.Fetcher().poll(Request(s))[0] for s in ('pending', 'done', 'failed', 'timeout', 'halted')]\n"
        "assert polled == ['wait', 'keep', 'retry', 'retry', 'wait'], polled\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, json.dumps(list(ORIGINAL))], cwd=root, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    return {k: (v[0], v[1]) for k, v in json.loads(done.stdout).items()}


INHERITED = '''class Watch:
    def __init__(self):
        self.reactions = {"failed": self.retry}

    def retry(self, row):
        return row

    def poll(self, client):
        for row in client.invoke("sessions_list", {})["sessions"]:
            self.reactions.get(row["status"], print)(row)


class JobWatch(Watch):
    def poll_jobs(self, queue):
        for job in queue.pending_jobs():
            self.reactions.get(job["state"], print)(job)
'''


def test_a_subclass_lookup_with_another_vocabulary_holds_the_table_for_review(tmp_path: Path) -> None:
    """`JobWatch` inherits `self.reactions` and looks it up with a job's
    state: contract must not take the table's old key away from it."""
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\n", "utf-8")
    (tmp_path / "watch.py").write_text(INHERITED, "utf-8")
    scan = run_cli("scan", ".", "--phase", "contract", cwd=tmp_path)
    assert (scan.returncode, scan.stdout) == (1, (
        "to review (1):\n"
        "watch.py:3:27: status-dispatch [certain, review] 'failed' -> 'interrupted'\n"
        "1 file scanned, 1 finding: 0 to rewrite, 1 to review (contract phase)\n"
    ))
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert (tmp_path / "watch.py").read_text("utf-8") == INHERITED
