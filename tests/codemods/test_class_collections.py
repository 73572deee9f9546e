"""Collections a class attribute holds, tested in a method of the class
(status-class-collection).

A probe framework declares its test once, in a base class
(``r.get("status") in self.targets`` over ``bag.rows``), and each probe of
another module sets ``targets``; the rows reach the bag through
``bag.rows.extend(page.get("sessions", []))`` in a third module that pages
``sessions_list``. A retry plan keeps its statuses in a dataclass field
whose default is a module constant, grown in a class method
(``(*retry_on, "timeout")``), and another module tests a session row's
status with it in a ``match`` guard (``case s if s in plan.retry_on``).
Probes and plans over ``agents_wait`` children and rq job states (the same
words, another vocabulary) stay as written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

BASE = '''from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass
class Bag:
    rows: list[dict[str, Any]] = field(default_factory=list)
    children: list[dict[str, Any]] = field(default_factory=list)


class Probe:
    targets: ClassVar[frozenset[str]] = frozenset()

    def share(self, bag: Bag) -> float:
        hit = sum(1 for r in bag.rows if r.get("status") in self.targets)
        return hit / max(len(bag.rows), 1)


class ChildProbe:
    targets: ClassVar[frozenset[str]] = frozenset()

    def count(self, bag: Bag) -> int:
        return sum(1 for c in bag.children if c.get("status") in self.targets)
'''

COLLECT = '''import json
import urllib.request

from .base import Bag

URL = "http://127.0.0.1:18789/tools/invoke"


def invoke(tool, args):
    body = json.dumps({"tool": tool, "args": args}).encode()
    with urllib.request.urlopen(urllib.request.Request(URL, data=body)) as resp:
        return json.load(resp)["result"]["details"]


def collect(run_ids):
    bag = Bag()
    offset = 0
    while True:
        page = invoke("sessions_list", {"limit": 100, "offset": offset})
        bag.rows.extend(page.get("sessions", []))
        if not page.get("hasMore"):
            break
        offset += 100
    bag.children.extend(invoke("agents_wait", {"runIds": run_ids}).get("completed", []))
    return bag
'''

PROBES = '''from typing import ClassVar

from .base import ChildProbe, Probe


class Stalled(Probe):
    targets = frozenset({"timeout"})


class Dead(Probe):
    targets: ClassVar[frozenset[str]] = frozenset({"failed", "killed"})


class LateChildren(ChildProbe):
    targets = frozenset({"timeout", "failed"})
'''

RUN = '''import json, sys
from probe.base import Bag
from probe.probes import Dead, LateChildren, Stalled

rows = [{"key": str(i), "status": s} for i, s in enumerate(json.loads(sys.argv[1]))]
children = [{"runId": "r1", "status": "timeout"}, {"runId": "r2", "status": "failed"}, {"runId": "r3", "status": "ok"}]
bag = Bag(rows, children)
print(Stalled().share(bag), Dead().share(bag), LateChildren().count(bag))
'''

FILES = {"base.py": BASE, "collect.py": COLLECT, "probes.py": PROBES}
EXPANDED = {"probes.py": PROBES.replace('frozenset({"timeout"})', 'frozenset({"timeout", "waiting_for_response"})')
            .replace('frozenset({"failed", "killed"})', 'frozenset({"failed", "interrupted", "killed", "halted"})')}
CONTRACTED = {"probes.py": PROBES.replace('frozenset({"timeout"})', 'frozenset({"waiting_for_response"})')
              .replace('frozenset({"failed", "killed"})', 'frozenset({"interrupted", "halted"})')}
OLD = ["done", "failed", "timeout", "killed", "running"]
NEW = ["agent_responded", "interrupted", "waiting_for_response", "halted", "running"]


def _shares(root: Path, script: str, statuses: list[str]) -> str:
    done = subprocess.run([sys.executable, "-c", script, json.dumps(statuses)],
                          cwd=root, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_subclasses_of_another_module_set_what_the_base_tests(tmp_path: Path) -> None:
    package = write_package(tmp_path, "probe", FILES)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "probe/probes.py:7:26: status-class-collection [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "probe/probes.py:11:52: status-class-collection [certain, rewrite] 'failed' -> 'interrupted'",
        "probe/probes.py:11:62: status-class-collection [certain, rewrite] 'killed' -> 'halted'",
        "4 files scanned, 3 findings: 3 to rewrite, 0 to review (expand phase)",
    ], scan.stdout
    why = run_cli("scan", ".", "--show-why", cwd=tmp_path).stdout
    assert "`Stalled.targets`, `self.targets` is tested at probe/base.py:15" in why, why
    assert "where `r` iterates `Bag.rows`, filled at probe/collect.py:20 with the `sessions` of `page`, " \
        "a `sessions_list` result" in why, why
    before = _shares(tmp_path, RUN, OLD)
    assert before == "0.2 0.4 2"
    apply_phase(tmp_path, "expand", package, FILES, EXPANDED)
    assert _shares(tmp_path, RUN, OLD) == before
    assert _shares(tmp_path, RUN, NEW) == before
    apply_phase(tmp_path, "contract", package, FILES, CONTRACTED)
    assert _shares(tmp_path, RUN, NEW) == before


def test_contract_from_the_original_probes_gives_the_same_bytes(tmp_path: Path) -> None:
    package = write_package(tmp_path, "probe", FILES)
    apply_phase(tmp_path, "contract", package, FILES, CONTRACTED)


POLICY = '''from dataclasses import dataclass

RETRY_ON: tuple[str, ...] = ("failed",)
JOB_RETRY: tuple[str, ...] = ("failed", "timeout")


@dataclass(frozen=True)
class Plan:
    key: str
    retry_on: tuple[str, ...] = RETRY_ON

    @classmethod
    def parse(cls, raw):
        retry_on = tuple(raw.get("retryOn", RETRY_ON))
        if raw.get("retryLate"):
            retry_on = (*retry_on, "timeout")
        return cls(key=raw["key"], retry_on=retry_on)


@dataclass(frozen=True)
class JobPlan:
    queue: str
    retry_on: tuple[str, ...] = JOB_RETRY
'''

LOOP = '''import json
import urllib.request

from rq import Queue

from .policy import JobPlan, Plan


def listing():
    body = json.dumps({"tool": "sessions_list", "args": {"limit": 200}}).encode()
    req = urllib.request.Request("http://127.0.0.1:18789/tools/invoke", data=body)
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)["result"]["details"]["sessions"]


def decide(plan: Plan, row) -> str:
    match row.get("status"):
        case "running":
            return "wait"
        case s if s in plan.retry_on:
            return "retry"
        case _:
            return "leave"


def sweep(plans):
    rows = {r["key"]: r for r in listing()}
    return {p.key: decide(p, rows[p.key]) for p in plans if p.key in rows}


def stuck_jobs(plan: JobPlan):
    queue = Queue(plan.queue)
    return [j.id for j in queue.jobs if j.get_status() in plan.retry_on]
'''

DECIDE = '''import json, sys
from plans.loop import decide
from plans.policy import Plan

plans = [Plan.parse({"key": "a"}), Plan.parse({"key": "b", "retryLate": True})]
print([[decide(p, {"status": s}) for s in json.loads(sys.argv[1])] for p in plans])
'''

PLANS = {"policy.py": POLICY, "loop.py": LOOP}
PLANS_EXPANDED = {"policy.py": POLICY.replace('RETRY_ON: tuple[str, ...] = ("failed",)',
                                              'RETRY_ON: tuple[str, ...] = ("failed", "interrupted",)')
                  .replace('(*retry_on, "timeout")', '(*retry_on, "timeout", "waiting_for_response")')}
PLANS_CONTRACTED = {"policy.py": POLICY.replace('RETRY_ON: tuple[str, ...] = ("failed",)',
                                                'RETRY_ON: tuple[str, ...] = ("interrupted",)')
                    .replace('(*retry_on, "timeout")', '(*retry_on, "waiting_for_response")')}


def _rq(root: Path) -> None:
    """A stand-in for rq, enough to import the module."""
    (root / "rq.py").write_text("class Queue:\n    def __init__(self, name):\n        self.jobs = []\n", "utf-8")


def test_a_field_default_grown_in_a_class_method_and_tested_in_a_match_guard(tmp_path: Path) -> None:
    package = write_package(tmp_path, "plans", PLANS)
    _rq(tmp_path)
    scan = run_cli("scan", "plans", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "plans/policy.py:3:30: status-constant [certain, rewrite] 'failed' -> 'interrupted'",
        "plans/policy.py:16:36: status-class-collection [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "3 files scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ], scan.stdout
    why = run_cli("scan", "plans", "--show-why", cwd=tmp_path).stdout
    assert "`plan.retry_on` is tested at plans/loop.py:20" in why, why
    assert "compared with `s` (bound from `row.get(\"status\")`)" in why, why
    before = _shares(tmp_path, DECIDE, OLD)
    assert before == "[['leave', 'retry', 'leave', 'leave', 'wait'], ['leave', 'retry', 'retry', 'leave', 'wait']]"
    apply_phase(tmp_path, "expand", package, PLANS, PLANS_EXPANDED)
    assert _shares(tmp_path, DECIDE, OLD) == before
    assert _shares(tmp_path, DECIDE, NEW) == before
    apply_phase(tmp_path, "contract", package, PLANS, PLANS_CONTRACTED)
    assert _shares(tmp_path, DECIDE, NEW) == before


def test_contract_from_the_original_plans_gives_the_same_bytes(tmp_path: Path) -> None:
    package = write_package(tmp_path, "plans", PLANS)
    apply_phase(tmp_path, "contract", package, PLANS, PLANS_CONTRACTED)


def test_job_queue_plans_and_child_run_probes_alone_stay(tmp_path: Path) -> None:
    """The same shapes with nothing of sessions: rq job states and
    `agents_wait` children only. Nothing is rewritten."""
    base = BASE.replace("rows", "jobs")
    collect = COLLECT.replace('        page = invoke("sessions_list", {"limit": 100, "offset": offset})\n'
                              '        bag.rows.extend(page.get("sessions", []))\n',
                              '        page = invoke("agents_wait", {"limit": 100, "offset": offset})\n'
                              '        bag.jobs.extend(page.get("completed", []))\n')
    files = {"base.py": base, "collect.py": collect, "probes.py": PROBES,
             "jobs.py": POLICY.split("\n\n\n@dataclass(frozen=True)\nclass Plan")[0] + "\n\n\n" + '''@dataclass(frozen=True)
class JobPlan:
    queue: str
    retry_on: tuple[str, ...] = JOB_RETRY


def stuck(plan: JobPlan, queue):
    return [j.id for j in queue.jobs if j.get_status() in plan.retry_on]
'''}
    package = write_package(tmp_path, "probe", files)
    for phase in ("expand", "contract"):
        apply_phase(tmp_path, phase, package, files, {})
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert "certain" not in scan.stdout and "likely" not in scan.stdout, scan.stdout
