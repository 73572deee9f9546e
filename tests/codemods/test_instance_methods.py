"""`obj.method()` where `obj` is an instance of a class of the project is
what that method returns, `self.` calls inside it followed, across modules:
a module global or a local built by the class (`HUB = Hub()`, `hub =
gateway.Hub()`), what a function typed `-> Hub` returns (`h: Hub =
connect()`), an instance of a subclass that inherits the method, `self.hub`
assigned `Hub()` in `__init__`, a property (`desk.rows`). `hub.listing()` returning
`self._rpc("sessions_list", ...)["sessions"]` gives session rows;
`hub.await_runs(ids)` returning `self._rpc("agents_wait", ...)` an answer
about child runs, whose `done`/`timeout`/`failed`/`killed` are run-level
words, never rewritten. A class method that returns `cls(...)`
(`Seat.from_row(r)`) builds an instance from its arguments: from a session
row, a session object."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

HUB = '''import json
import urllib.request


class Hub:
    def __init__(self, url="http://127.0.0.1:18789"):
        self.url = url

    def _rpc(self, tool, **args):
        body = json.dumps({"tool": tool, "args": args}).encode()
        with urllib.request.urlopen(urllib.request.Request(self.url + "/tools/invoke", data=body)) as r:
            return json.load(r)["result"]["details"]

    def listing(self):
        return self._rpc("sessions_list", limit=50)["sessions"]

    def await_runs(self, ids):
        return self._rpc("agents_wait", runIds=list(ids))

    def broken(self):
        return [r["key"] for r in self.listing() if r["status"] == "failed"]
'''

FLEET = '''from . import hub as gateway
from .hub import Hub

HUB = Hub()


class Pool(Hub):
    """A hub shared by the workers."""


class Fleet:
    def __init__(self):
        self.hub = Hub()

    def dead(self):
        return [r["key"] for r in self.hub.listing() if r["status"] == "killed"]

    def late(self, ids):
        return [c["runId"] for c in self.hub.await_runs(ids)["completed"] if c["status"] == "timeout"]


def connect() -> Hub:
    return Hub()


def stale():
    return [r["key"] for r in HUB.listing() if r["status"] == "timeout"]


def finished(ids):
    hub = gateway.Hub()
    answer = hub.await_runs(ids)
    return [c["runId"] for c in answer["completed"] if c["status"] == "done"]


def pooled(ids):
    pool = Pool()
    ended = [r["key"] for r in pool.listing() if r["status"] == "done"]
    return ended, [c["runId"] for c in pool.await_runs(ids)["completed"] if c["status"] == "failed"]


def typed(ids):
    h: Hub = connect()
    ended = [r["key"] for r in h.listing() if r["status"] == "failed"]
    return ended, [c["runId"] for c in h.await_runs(ids)["completed"] if c["status"] == "killed"]
'''

SEATS = '''from dataclasses import dataclass

from .hub import Hub


@dataclass
class Seat:
    key: str
    status: str

    @classmethod
    def from_row(cls, row):
        return cls(row["key"], row.get("status") or "running")


def seats(hub: Hub):
    return [Seat.from_row(r) for r in hub.listing()]


def vacated(hub: Hub):
    return [s.key for s in seats(hub) if s.status == "killed"]


def overdue(hub: Hub, ids):
    # Seats of child runs: their status is the run's own word.
    return [s.key for s in (Seat.from_row(c) for c in hub.await_runs(ids)["completed"]) if s.status == "timeout"]
'''

DESK = '''from .hub import Hub


class Desk:
    def __init__(self, hub: Hub):
        self.hub = hub

    @property
    def rows(self):
        return self.hub.listing()

    @property
    def children(self):
        return self.hub.await_runs([])["completed"]


def look(desk: Desk):
    ended = [r["key"] for r in desk.rows if r["status"] == "failed"]
    return ended, [c["runId"] for c in desk.children if c["status"] == "done"]
'''

# Reads each function of the migrated package with `Hub._rpc` answered in-process.
CALL = '''import json, sys
sys.path.insert(0, sys.argv[1])
from relay import desk, fleet, hub, seats
rows, children = json.loads(sys.argv[2]), json.loads(sys.argv[3])
hub.Hub._rpc = lambda self, tool, **a: {"sessions": rows} if tool == "sessions_list" else {"completed": children}
ids = [c["runId"] for c in children]
print(json.dumps([hub.Hub().broken(), fleet.Fleet().dead(), fleet.Fleet().late(ids), fleet.stale(),
                  fleet.finished(ids), fleet.pooled(ids), fleet.typed(ids), seats.vacated(hub.Hub()),
                  desk.look(desk.Desk(hub.Hub())), seats.overdue(hub.Hub(), ids)]))
'''

FILES = (("hub", HUB), ("fleet", FLEET), ("seats", SEATS), ("desk", DESK))
OLD = ("failed", "timeout", "done", "killed")
NEW = {"failed": "interrupted", "timeout": "waiting_for_response", "done": "agent_responded", "killed": "halted"}


def _tree(root: Path) -> Path:
    (root / "pyproject.toml").write_text("[tool.migrator]\n", "utf-8")
    (root / "relay").mkdir()
    (root / "relay" / "__init__.py").write_text("", "utf-8")
    for name, text in FILES:
        (root / "relay" / f"{name}.py").write_text(text, "utf-8")
    return root


def _run(root: Path, names: dict[str, str]) -> list[object]:
    """Every function's answer, the sessions ending with ``names`` (old ->
    as the gateway says it); child runs always speak their own words."""
    rows = [{"key": f"agent:main:{old}", "status": names[old]} for old in OLD]
    children = [{"runId": f"run-{old}", "key": f"run-{old}", "status": old} for old in OLD]
    done = subprocess.run([sys.executable, "-c", CALL, str(root), json.dumps(rows), json.dumps(children)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _readers(text: str, phase: str) -> str:
    """``text`` with each session reader migrated for ``phase``."""
    reads = {
        HUB: [('r["status"] == "failed"', "failed")],
        FLEET: [('r["status"] == "killed"', "killed"), ('r["status"] == "timeout"', "timeout"),
                ('r["status"] == "done"', "done"), ('r["status"] == "failed"', "failed")],
        SEATS: [('s.status == "killed"', "killed")],
        DESK: [('r["status"] == "failed"', "failed")],
    }[text]
    for written, old in reads:
        subject = written.split(" == ")[0]
        new = NEW[old]
        text = text.replace(written, f'{subject} in ("{old}", "{new}")' if phase == "expand" else f'{subject} == "{new}"')
    return text


def test_methods_of_instances_follow_what_the_method_returns(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", "--format", "json", "--min-confidence", "possible", "--phase", "contract",
                   cwd=root)
    assert scan.returncode == 1, scan.stderr
    found = [(f["path"], f["line"], f["old"], f["confidence"]) for f in json.loads(scan.stdout)["findings"]]
    assert found == [
        ("relay/desk.py", 18, "failed", "certain"),  # a property of an instance
        ("relay/fleet.py", 16, "killed", "certain"),  # self.hub = Hub()
        ("relay/fleet.py", 27, "timeout", "certain"),  # HUB = Hub()
        ("relay/fleet.py", 38, "done", "certain"),  # Pool(Hub) inherits listing()
        ("relay/fleet.py", 44, "failed", "certain"),  # h: Hub = connect()
        ("relay/hub.py", 21, "failed", "certain"),  # self.listing()
        ("relay/seats.py", 21, "killed", "certain"),  # Seat.from_row(r) of a session row
    ]
    why = {f["line"]: f["why"] for f in json.loads(scan.stdout)["findings"] if f["path"] == "relay/seats.py"}
    assert why[21].endswith("from `r` iterates what `Hub.listing()` (relay/hub.py:14) returns, the `sessions` of a "
                            "`sessions_list` result")

    before = _run(root, {old: old for old in OLD})
    for phase in ("expand", "contract"):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        for name, text in FILES:
            assert (root / "relay" / f"{name}.py").read_text("utf-8") == _readers(text, phase), (phase, name)
        # Child runs of agents_wait keep their words: the same children are kept in every phase.
        if phase == "expand":
            assert _run(root, {old: old for old in OLD}) == before
        assert _run(root, NEW) == before
    assert before == [
        ["agent:main:failed"], ["agent:main:killed"], ["run-timeout"], ["agent:main:timeout"], ["run-done"],
        [["agent:main:done"], ["run-failed"]], [["agent:main:failed"], ["run-killed"]], ["agent:main:killed"],
        [["agent:main:failed"], ["run-done"]], ["run-timeout"],
    ]
