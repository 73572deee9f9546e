"""A filter step built with ``functools.partial``: a generic helper given a
key name and the values it keeps (``partial(keep, "status", (...))``),
applied later to the entries of a ``sessions.json`` store, tests the
entries' status with the values the partial binds. The same helper given
another key, a job queue's states in a module that never talks to
OpenClaw, and a subagent run's ``outcome`` through a partial stay as they are."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

from tests.conftest import run_cli

FILTERS = '''import functools
import json
from functools import partial
from pathlib import Path


def entries(state):
    path = Path(state) / "agents" / "main" / "sessions" / "sessions.json"
    return list(json.loads(path.read_text("utf-8")).values())


def keep(key, wanted, rows):
    return [r for r in rows if r.get(key) in wanted]


def outcome_is(value, run):
    return (run.get("outcome") or {}).get("status") == value


stuck = partial(keep, "status", ("failed", "timeout"))
closed = functools.partial(keep, "status", ["done"])
stopped = partial(keep, wanted={"killed"}, key="status")
late_runs = partial(outcome_is, "timeout")
'''

# rq-style job records, the same words, in a module that never talks to OpenClaw.
JOBS = '''from functools import partial


def keep(key, wanted, rows):
    return [r for r in rows if r.get(key) in wanted]


finished = partial(keep, "status", ("done", "failed"))
'''

# One helper given two keys: what `r.get(key)` reads is not one field.
TWO_KEYS = '''import json
from functools import partial
from pathlib import Path

STORE = Path("agents/main/sessions/sessions.json")


def keep(key, wanted, rows):
    return [r for r in rows if r.get(key) in wanted]


stuck = partial(keep, "status", ("failed",))
erred = partial(keep, "state", ("failed",))
'''


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "steps").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "steps"\n', "utf-8")
    (root / "steps" / "__init__.py").write_text("", "utf-8")
    (root / "steps" / "filters.py").write_text(FILTERS, "utf-8")
    (root / "steps" / "jobs.py").write_text(JOBS, "utf-8")
    (root / "steps" / "two_keys.py").write_text(TWO_KEYS, "utf-8")
    return root


EXPANDED = FILTERS.replace(
    '("failed", "timeout")', '("failed", "interrupted", "timeout", "waiting_for_response")').replace(
    '["done"]', '["done", "agent_responded"]').replace('{"killed"}', '{"killed", "halted"}')
CONTRACTED = FILTERS.replace(
    '("failed", "timeout")', '("interrupted", "waiting_for_response")').replace(
    '["done"]', '["agent_responded"]').replace('{"killed"}', '{"halted"}')


def test_scan_reads_the_partials_as_calls_of_the_step(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", "-q", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    lines = [line for line in scan.stdout.splitlines() if line.startswith("steps/")]
    assert [line.split(" -> ")[0] for line in lines] == [
        "steps/filters.py:20:34: status-held-collection [likely, rewrite] 'failed'",
        "steps/filters.py:20:44: status-held-collection [likely, rewrite] 'timeout'",
        "steps/filters.py:21:45: status-held-collection [likely, rewrite] 'done'",
        "steps/filters.py:22:33: status-held-collection [likely, rewrite] 'killed'",
    ]


def test_expand_and_contract_bytes(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    for phase, expected in (("expand", EXPANDED), ("contract", CONTRACTED)):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert (root / "steps" / "filters.py").read_text("utf-8") == expected, phase
        # Another vocabulary's states, and a key that is not one field: untouched.
        assert (root / "steps" / "jobs.py").read_text("utf-8") == JOBS
        assert (root / "steps" / "two_keys.py").read_text("utf-8") == TWO_KEYS


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def _kept(module: ModuleType, state: Path) -> dict[str, list[str]]:
    rows = module.entries(state)
    return {step: sorted(r["key"] for r in getattr(module, step)(rows=rows)) for step in ("stuck", "closed", "stopped")}


def test_the_migrated_steps_behave(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    stores = tmp_path / "stores"
    for names in ("old", "new"):
        store = stores / names / "agents" / "main" / "sessions"
        store.mkdir(parents=True)
        words = ["failed", "timeout", "done", "killed", "running"] if names == "old" else [
            "interrupted", "waiting_for_response", "agent_responded", "halted", "running"]
        store.joinpath("sessions.json").write_text(json.dumps(
            {f"agent:main:{i}": {"key": f"k{i}", "status": w} for i, w in enumerate(words)}), "utf-8")
    selected = {"stuck": ["k0", "k1"], "closed": ["k2"], "stopped": ["k3"]}
    before = _load(root / "steps" / "filters.py", "filters_before")
    assert _kept(before, stores / "old") == selected
    run = {"outcome": {"status": "timeout"}}
    for phase, speaks in (("expand", ("old", "new")), ("contract", ("new",))):
        shutil.copyfile(root / "steps" / "filters.py", tmp_path / "previous.py")
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        migrated = _load(root / "steps" / "filters.py", f"filters_{phase}")
        for names in speaks:
            assert _kept(migrated, stores / names) == selected, (phase, names)
        # A subagent run's outcome keeps its own words.
        assert migrated.late_runs(run) is True
        jobs = _load(root / "steps" / "jobs.py", f"jobs_{phase}")
        assert [j["id"] for j in jobs.finished([{"id": 1, "status": "done"}, {"id": 2, "status": "queued"}])] == [1]


GETTERS = '''import json
import operator
from itertools import groupby
from operator import itemgetter
from pathlib import Path

status_of = itemgetter("status")
state_of = itemgetter("state")
STORE = Path("agents/main/sessions/sessions.json")


def entries():
    return list(json.loads(STORE.read_text("utf-8")).values())


def broken():
    return [e for e in entries() if status_of(e) in ("failed", "killed")]


def finished():
    return [e for e in entries() if operator.attrgetter("status")(e) == "done"]


def runs_timed_out(runs):
    return [r for r in runs if status_of(r["outcome"]) == "timeout"]


def jobs_failed(jobs):
    return [j for j in jobs if state_of(j) == "failed"]


def by_status():
    return {k: len(list(g)) for k, g in groupby(sorted(entries(), key=status_of), key=status_of)}
'''


def test_an_operator_getter_of_the_status_reads_it(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "getters"\n', "utf-8")
    (root / "getters.py").write_text(GETTERS, "utf-8")
    scan = run_cli("scan", ".", "-q", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert [line.split(" -> ")[0] for line in scan.stdout.splitlines()] == [
        "getters.py:17:54: status-membership [certain, rewrite] 'failed'",
        "getters.py:17:64: status-membership [certain, rewrite] 'killed'",
        "getters.py:21:73: status-compare [certain, rewrite] 'done'",
    ]
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    # A subagent run's outcome and a job's state, read with getters too, stay.
    assert (root / "getters.py").read_text("utf-8") == GETTERS.replace(
        '("failed", "killed")', '("interrupted", "halted")').replace('== "done"', '== "agent_responded"')


LIBRARY = '''import json
from pathlib import Path


def entries(state):
    path = Path(state) / "agents" / "main" / "sessions" / "sessions.json"
    return list(json.loads(path.read_text("utf-8")).values())


def keep(wanted, rows):
    return [r for r in rows if r["status"] in wanted]
'''

PIPELINE = '''from functools import partial

from .library import entries, keep

stuck = partial(keep, ("failed", "timeout"))


def report(state):
    return [r["key"] for r in stuck(entries(state))]
'''


def test_a_partial_of_another_modules_step(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "pipes").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "pipes"\n', "utf-8")
    (root / "pipes" / "__init__.py").write_text("", "utf-8")
    (root / "pipes" / "library.py").write_text(LIBRARY, "utf-8")
    (root / "pipes" / "pipeline.py").write_text(PIPELINE, "utf-8")
    for phase, written in (("expand", '("failed", "interrupted", "timeout", "waiting_for_response")'),
                           ("contract", '("interrupted", "waiting_for_response")')):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert (root / "pipes" / "pipeline.py").read_text("utf-8") == PIPELINE.replace(
            '("failed", "timeout")', written), phase
        assert (root / "pipes" / "library.py").read_text("utf-8") == LIBRARY
