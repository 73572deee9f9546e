"""An `Enum` of one module built from a session status in another
(`Phase(r["status"])` after `from .kinds import Phase`, or inside a class
method `Seat.from_row(row)` that another module calls with session rows) is
a session enum, as one built in its own module is: expand keeps its values
(an Enum value holds one name) and adds a `_missing_` class method that maps
each new name to its member; contract renames the values and drops the hook. `Enum(x)` of a session status is that status: an object built
with it (`Mark(key=r["key"], status=Phase(r["status"]))`) holds a session status. An
enum of the same words built from the project's own job states is left alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

KINDS = '''from enum import Enum


class Phase(str, Enum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    TIMEOUT = "timeout"
    KILLED = "killed"


class Step(str, Enum):
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"
'''

SEAT = '''from dataclasses import dataclass

from .kinds import Phase


@dataclass
class Seat:
    key: str
    status: Phase | None

    @classmethod
    def from_row(cls, row):
        raw = row.get("status")
        return cls(row["key"], Phase(raw) if raw else None)
'''

BOARD = '''from typing import NamedTuple

from .kinds import Phase, Step
from .seat import Seat


class Mark(NamedTuple):
    key: str
    status: Phase


def rows(client):
    return client.invoke("sessions_list", {"limit": 20})["details"]["sessions"]


def seats(client):
    return [Seat.from_row(r) for r in rows(client)]


def phases(client):
    return {r["key"]: Phase(r["status"]) for r in rows(client)}


def answered(client):
    built = [Mark(key=r["key"], status=Phase(r["status"])) for r in rows(client)]
    return [s.key for s in built if s.status == "done"]


def steps(jobs):
    return [Step(j["state"]).name for j in jobs]
'''

# Calls the migrated package with a client answering sessions_list in-process.
CALL = '''import json, sys
sys.path.insert(0, sys.argv[1])
from desk import board
rows = json.loads(sys.argv[2])
class Client:
    def invoke(self, tool, args):
        return {"details": {"sessions": rows}}
c = Client()
print(json.dumps([[s.status.name for s in board.seats(c)], {k: v.name for k, v in board.phases(c).items()},
                  board.answered(c), board.steps([{"state": "done"}, {"state": "failed"}])]))
'''

NEW = {"done": "agent_responded", "failed": "interrupted", "timeout": "waiting_for_response", "killed": "halted"}


def _run(root: Path, statuses: list[str]) -> object:
    rows = [{"key": f"s{i}", "status": status} for i, status in enumerate(statuses)]
    done = subprocess.run([sys.executable, "-c", CALL, str(root), json.dumps(rows)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_an_enum_built_from_session_statuses_in_another_module(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\n", "utf-8")
    (tmp_path / "desk").mkdir()
    (tmp_path / "desk" / "__init__.py").write_text("", "utf-8")
    for name, text in (("kinds", KINDS), ("seat", SEAT), ("board", BOARD)):
        (tmp_path / "desk" / f"{name}.py").write_text(text, "utf-8")
    scan = run_cli("scan", ".", "--format", "json", "--min-confidence", "possible", "--phase", "contract",
                   cwd=tmp_path)
    assert scan.returncode == 1, scan.stderr
    findings = json.loads(scan.stdout)["findings"]
    found = [(f["path"], f["line"], f["old"], f["confidence"], f["action"]) for f in findings]
    assert found == [
        ("desk/board.py", 26, "done", "certain", "rewrite"),  # s.status of a Mark built with Phase(r["status"])
        ("desk/kinds.py", 6, "done", "certain", "rewrite"),
        ("desk/kinds.py", 7, "failed", "certain", "rewrite"),
        ("desk/kinds.py", 8, "timeout", "certain", "rewrite"),
        ("desk/kinds.py", 9, "killed", "certain", "rewrite"),
    ]
    assert findings[1]["why"].startswith("Enum `Phase` is a `Phase` built in desk/")
    old = ["done", "failed", "timeout", "killed", "running"]
    before = _run(tmp_path, old)
    assert before == [["DONE", "FAILED", "TIMEOUT", "KILLED", "RUNNING"],
                      {"s0": "DONE", "s1": "FAILED", "s2": "TIMEOUT", "s3": "KILLED", "s4": "RUNNING"},
                      ["s0"], ["DONE", "FAILED"]]

    # Expand: Phase keeps its values and reads the new names through `_missing_`; the compare accepts both.
    done = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    expanded = BOARD.replace('s.status == "done"', 's.status in ("done", "agent_responded")')
    assert (tmp_path / "desk" / "board.py").read_text("utf-8") == expanded
    assert (tmp_path / "desk" / "kinds.py").read_text("utf-8") == KINDS.replace(
        '    KILLED = "killed"\n',
        '    KILLED = "killed"\n\n    @classmethod\n    def _missing_(cls, value):\n'
        '        return {\n            "agent_responded": cls.DONE,\n            "interrupted": cls.FAILED,\n'
        '            "waiting_for_response": cls.TIMEOUT,\n            "halted": cls.KILLED,\n        }.get(value)\n')
    assert (tmp_path / "desk" / "seat.py").read_text("utf-8") == SEAT
    assert _run(tmp_path, old) == before
    assert _run(tmp_path, [NEW.get(s, s) for s in old]) == before
    # Expanded: the enum waits for contract, it is no finding of expand again.
    again = run_cli("scan", ".", "--format", "json", "--min-confidence", "possible", cwd=tmp_path)
    assert (again.returncode, json.loads(again.stdout)["findings"]) == (0, [])

    # Contract: Phase speaks the new names, Step (the project's own job states) is as it was.
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "desk" / "board.py").read_text("utf-8") == BOARD.replace(
        's.status == "done"', 's.status == "agent_responded"')
    kinds = KINDS.split("class Step")
    contracted = kinds[0]
    for word, new in NEW.items():
        contracted = contracted.replace(f'"{word}"', f'"{new}"')
    assert (tmp_path / "desk" / "kinds.py").read_text("utf-8") == contracted + "class Step" + kinds[1]
    assert (tmp_path / "desk" / "seat.py").read_text("utf-8") == SEAT
    assert _run(tmp_path, [NEW.get(s, s) for s in old]) == before
