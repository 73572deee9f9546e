"""A dict an object keeps, keyed by session status, and tested with ``in``
in a method (``row.get("status") in self.waits``): the instances the module
builds pass it by keyword (``Backoff(waits={"timeout": 1.0})``), and another
module passes the method rows of ``openclaw sessions --json``. Its keys
change as a dispatch table's do (each new key beside the old one, with the
same value, in expand); the same shape over ``agents_wait`` children changes
nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import apply_phase, write_package

LIMITS = '''"""How long to wait before each retry."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    waits: dict[str, float]
    cap: int = 3

    def covers(self, entry):
        return entry.get("status") in self.waits and not entry.get("abortedLastRun")

    def wait_for(self, status_name):
        return self.waits[status_name]


QUICK = Backoff(waits={KEYS_QUICK})
SLOW = Backoff(waits={KEYS_SLOW}, cap=1)
'''

POLL = '''"""Which sessions are owed a retry now."""

import json
import subprocess

from throttle.limits import QUICK, Backoff


def sessions():
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out).get("sessions", [])


def owed(rule: Backoff = QUICK):
    return [(s["key"], rule.wait_for(s["status"])) for s in sessions() if rule.covers(s)]
'''

# Another vocabulary: the per-child run statuses of an agents_wait answer.
CHILDREN = '''"""Child runs the parent waits on again."""

import json
import urllib.request
from dataclasses import dataclass


@dataclass(frozen=True)
class ChildBackoff:
    waits: dict[str, float]

    def covers(self, child):
        return child.get("status") in self.waits


AGAIN = ChildBackoff(waits={"timeout": 2.0, "failed": 9.0})


def waited(ids):
    body = json.dumps({"tool": "agents_wait", "args": {"ids": ids}}).encode()
    req = urllib.request.Request("http://127.0.0.1:18789/tools/invoke", data=body, method="POST")
    with urllib.request.urlopen(req) as resp:
        answer = json.load(resp)["result"]["details"]
    return [c["runId"] for c in answer.get("completed", []) if AGAIN.covers(c)]
'''


def _limits(quick: str, slow: str) -> str:
    return LIMITS.replace("KEYS_QUICK", quick).replace("KEYS_SLOW", slow)


BEFORE = {
    "limits.py": _limits('"timeout": 1.0, "killed": 5.0', '"failed": 60.0'),
    "poll.py": POLL,
    "children.py": CHILDREN,
}
EXPAND = {
    "limits.py": _limits('"timeout": 1.0, "waiting_for_response": 1.0, "killed": 5.0, "halted": 5.0',
                         '"failed": 60.0, "interrupted": 60.0'),
}
CONTRACT = {
    "limits.py": _limits('"waiting_for_response": 1.0, "halted": 5.0', '"interrupted": 60.0'),
}


def _covers(root: Path, statuses: list[str]) -> list[bool]:
    code = (
        "import sys\nfrom throttle.limits import QUICK, SLOW\n"
        f"for s in {statuses!r}:\n"
        "    print(QUICK.covers({'status': s}) or SLOW.covers({'status': s}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    return [line == "True" for line in done.stdout.split()]


def test_expand_adds_the_new_keys_beside_the_old_with_the_same_values(tmp_path: Path) -> None:
    package = write_package(tmp_path, "throttle", BEFORE)
    apply_phase(tmp_path, "expand", package, BEFORE, EXPAND)
    # Both spellings are owed a retry after expand; other statuses are not.
    assert _covers(tmp_path, ["timeout", "waiting_for_response", "failed", "interrupted", "done", "running"]) == [
        True, True, True, True, False, False]


def test_contract_keeps_only_the_new_keys(tmp_path: Path) -> None:
    package = write_package(tmp_path, "throttle", BEFORE)
    apply_phase(tmp_path, "contract", package, BEFORE, CONTRACT)
    assert _covers(tmp_path, ["waiting_for_response", "halted", "interrupted", "timeout"]) == [True, True, True, False]


def test_the_same_table_over_agents_wait_children_is_left_alone(tmp_path: Path) -> None:
    alone = {"children.py": CHILDREN}
    package = write_package(tmp_path, "throttle", alone)
    apply_phase(tmp_path, "contract", package, alone, {})
    apply_phase(tmp_path, "expand", package, alone, {})


# A counter keyed by session status, whose keys are printed: more than a
# table (expand would print a column twice), so it is left as written.
COUNTER = '''import json
import subprocess


def report():
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True, check=True).stdout
    counts = {"done": 0, "failed": 0}
    for s in json.loads(out)["sessions"]:
        if s.get("status") in counts:
            counts[s["status"]] += 1
    print(counts)
'''


def test_a_counter_whose_keys_are_printed_is_no_table(tmp_path: Path) -> None:
    alone = {"report.py": COUNTER}
    package = write_package(tmp_path, "throttle", alone)
    apply_phase(tmp_path, "expand", package, alone, {})
