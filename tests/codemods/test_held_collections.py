"""A status collection that reaches its membership test through a name: a
local bound to a literal, a copy of a constant (`set(BROKEN)`), an alias, a
fallback (`set(extra or FINISHED)`), grown in place (`.add`, `.update`,
`|=`); a collection passed to the function that tests it; and the
`choices` of a command-line option whose value becomes the tested
collection. Each is rewritten where it is written, as a collection written
in the test is; one tested against another vocabulary's values is not."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from codemods.sites import Sites
from migrator.manifest import load_manifest
from tests.conftest import run_cli

# -- 1. locals -----------------------------------------------------------------

STATES = '''# imported by the watcher, tested there through a copy
STUCK = ["timeout"]
'''

WATCH = '''import json
import subprocess

from .states import STUCK

BROKEN = ("failed", "timeout")
FINISHED = ["done"]
JOB_OVER = ("done", "failed")


def sessions():
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["sessions"]


def broken(strict=False):
    bad = set(BROKEN)
    if strict:
        bad.add("killed")
    return [row["key"] for row in sessions() if row.get("status") in bad]


def finished(extra=None):
    over = set(extra or FINISHED)
    over.update({"killed"})
    return [row["key"] for row in sessions() if row["status"] in over]


def quiet():
    idle = {"done"}
    idle |= {"failed"}
    seen = idle
    return [row["key"] for row in sessions() if row["status"] not in seen]


def waiting():
    late = tuple(STUCK)
    return [row["key"] for row in sessions() if row["status"] in late]


def settled(jobs):
    over = list(JOB_OVER)
    over.append("killed")
    return [job["id"] for job in jobs if job["outcome"]["status"] in over]


HALTED = frozenset({"killed"})


def stopped(extra=()):
    stop = HALTED
    also = ("done",) + tuple(extra)
    return [row["key"] for row in sessions() if row["status"] in stop or row["status"] in also]
'''

WATCH_EXPAND = WATCH.replace(
    'BROKEN = ("failed", "timeout")', 'BROKEN = ("failed", "interrupted", "timeout", "waiting_for_response")'
).replace('FINISHED = ["done"]', 'FINISHED = ["done", "agent_responded"]').replace(
    'bad.add("killed")', 'bad.update(("killed", "halted"))'
).replace('over.update({"killed"})', 'over.update({"killed", "halted"})').replace(
    'idle = {"done"}\n    idle |= {"failed"}', 'idle = {"done", "agent_responded"}\n    idle |= {"failed", "interrupted"}'
).replace('frozenset({"killed"})', 'frozenset({"killed", "halted"})').replace(
    '("done",) + tuple', '("done", "agent_responded",) + tuple')

WATCH_CONTRACT = WATCH.replace(
    'BROKEN = ("failed", "timeout")', 'BROKEN = ("interrupted", "waiting_for_response")'
).replace('FINISHED = ["done"]', 'FINISHED = ["agent_responded"]').replace(
    'bad.add("killed")', 'bad.add("halted")'
).replace('over.update({"killed"})', 'over.update({"halted"})').replace(
    'idle = {"done"}\n    idle |= {"failed"}', 'idle = {"agent_responded"}\n    idle |= {"interrupted"}'
).replace('frozenset({"killed"})', 'frozenset({"halted"})').replace('("done",) + tuple', '("agent_responded",) + tuple')

# Runs the migrated watcher over rows given on the command line.
CALL_WATCH = '''import json, sys
sys.path.insert(0, sys.argv[1])
from crew import watch
rows = json.loads(sys.argv[2])
watch.sessions = lambda: rows
jobs = [{"id": "j1", "outcome": {"status": "killed"}}, {"id": "j2", "outcome": {"status": "halted"}}]
print(json.dumps([watch.broken(), watch.broken(strict=True), watch.finished(), watch.quiet(), watch.waiting(),
                  watch.settled(jobs), watch.stopped()]))
'''


def _project(root: Path, files: dict[str, str]) -> None:
    root.mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text("[tool.migrator]\n", "utf-8")
    (root / "crew").mkdir()
    (root / "crew" / "__init__.py").write_text("", "utf-8")
    for name, text in files.items():
        (root / "crew" / name).write_text(text, "utf-8")


def _run(script: str, root: Path, *args: str) -> object:
    done = subprocess.run([sys.executable, "-c", script, str(root), *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _rows(names: dict[str, str]) -> str:
    return json.dumps([{"key": key, "status": status} for key, status in names.items()])


def test_a_local_bound_to_a_collection_is_that_collection(tmp_path: Path) -> None:
    _project(tmp_path, {"watch.py": WATCH, "states.py": STATES})
    scan = run_cli("scan", ".", "--format", "json", "--min-confidence", "possible", cwd=tmp_path)
    assert scan.returncode == 1, scan.stderr
    found = [(f["path"], f["line"], f["old"], f["confidence"], f["rule"]) for f in json.loads(scan.stdout)["findings"]]
    assert found == [
        ("crew/states.py", 2, "timeout", "certain", "status-constant"),
        ("crew/watch.py", 6, "failed", "certain", "status-constant"),
        ("crew/watch.py", 6, "timeout", "certain", "status-constant"),
        ("crew/watch.py", 7, "done", "certain", "status-constant"),
        ("crew/watch.py", 19, "killed", "certain", "status-held-collection"),
        ("crew/watch.py", 25, "killed", "certain", "status-held-collection"),
        ("crew/watch.py", 30, "done", "certain", "status-held-collection"),
        ("crew/watch.py", 31, "failed", "certain", "status-held-collection"),
        ("crew/watch.py", 47, "killed", "certain", "status-set-call"),
        ("crew/watch.py", 52, "done", "certain", "status-held-collection"),
    ]
    rows = {"a": "failed", "b": "killed", "c": "done", "d": "timeout", "e": "running"}
    new_rows = {"a": "interrupted", "b": "halted", "c": "agent_responded", "d": "waiting_for_response", "e": "running"}
    expected = [["a", "d"], ["a", "b", "d"], ["b", "c"], ["b", "d", "e"], ["d"], ["j1"], ["b", "c"]]
    assert _run(CALL_WATCH, tmp_path, _rows(rows)) == expected
    for phase, text in (("expand", WATCH_EXPAND), ("contract", WATCH_CONTRACT)):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "crew" / "watch.py").read_text("utf-8") == text
        stuck = '["timeout", "waiting_for_response"]' if phase == "expand" else '["waiting_for_response"]'
        assert (tmp_path / "crew" / "states.py").read_text("utf-8") == STATES.replace('["timeout"]', stuck)
        # The session checks answer the same under the names of their phase;
        # the jobs' own `killed` outcome is still the only one settled.
        for names in ([rows, new_rows] if phase == "expand" else [new_rows]):
            assert _run(CALL_WATCH, tmp_path, _rows(names)) == expected
    rescan = run_cli("scan", ".", "--phase", "contract", cwd=tmp_path)
    assert (rescan.returncode, rescan.stdout.splitlines()[-1]) == (
        0, "3 files scanned, 0 findings: 0 to rewrite, 0 to review (contract phase)")


def test_contract_after_expand_writes_what_contract_alone_writes(tmp_path: Path) -> None:
    for name in ("once", "twice"):
        _project(tmp_path / name, {"watch.py": WATCH, "states.py": STATES})
    for phase in ("expand", "contract"):
        assert run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=tmp_path / "twice").returncode == 0
    assert run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=tmp_path / "once").returncode == 0
    for name in ("watch.py", "states.py"):
        assert (tmp_path / "once" / "crew" / name).read_bytes() == (tmp_path / "twice" / "crew" / name).read_bytes()


SHARED = '''import json
from pathlib import Path


def rows(root):
    return json.loads((Path(root) / "sessions" / "sessions.json").read_text())


def gone(root, jobs):
    ended = {"done", "failed"}
    keys = [k for k, e in rows(root).items() if e["status"] in ended]
    return keys, [j for j in jobs if j["state"] in ended]
'''


def test_a_local_also_tested_against_another_vocabulary_is_expanded_and_left_for_review(tmp_path: Path) -> None:
    """`ended` is tested against a session entry's status and a job's
    state: expand adds the new names (harmless to the jobs), contract
    leaves it for a person to split."""
    _project(tmp_path, {"gone.py": SHARED})
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    expanded = SHARED.replace('{"done", "failed"}', '{"done", "agent_responded", "failed", "interrupted"}')
    assert (tmp_path / "crew" / "gone.py").read_text("utf-8") == expanded
    scan = run_cli("scan", ".", "--format", "json", "--phase", "contract", cwd=tmp_path)
    found = [(f["line"], f["old"], f["action"], f["why"].rsplit("; ", 1)[-1]) for f in json.loads(scan.stdout)["findings"]]
    assert found == [(10, old, "review", "but it is also tested against other values (`j[\"state\"]` (line 12) is not "
                      "a session status): split it before contract") for old in ("done", "failed")]


# -- 2. a collection passed to the function that tests it ------------------------

PRUNE = '''import json
from pathlib import Path

DEAD = ("done", "killed")
HOME = Path.home() / ".openclaw"


def stale(store, wanted):
    entries = json.loads(store.read_text())
    return sorted(key for key, entry in entries.items() if entry.get("status") in wanted)


def picked(agent, only=None):
    chosen = list(only or DEAD)
    return stale(HOME / "agents" / agent / "sessions" / "sessions.json", chosen)


def dead(agent):
    return stale(HOME / "agents" / agent / "sessions" / "sessions.json", DEAD)


def broken(agent):
    return stale(HOME / "agents" / agent / "sessions" / "sessions.json", ["failed"])


def lost(wanted=("timeout",)):
    runs = json.loads((HOME / "subagents" / "runs.json").read_text())["runs"]
    return sorted(rid for rid, run in runs.items() if (run.get("outcome") or {}).get("status") in wanted)
'''

PRUNE_EXPAND = PRUNE.replace('DEAD = ("done", "killed")', 'DEAD = ("done", "agent_responded", "killed", "halted")').replace(
    '["failed"])', '["failed", "interrupted"])')
PRUNE_CONTRACT = PRUNE.replace('DEAD = ("done", "killed")', 'DEAD = ("agent_responded", "halted")').replace(
    '["failed"])', '["interrupted"])')

CALL_PRUNE = '''import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from crew import prune
prune.HOME = Path(sys.argv[2])
print(json.dumps([prune.picked("main"), prune.picked("main", ["killed", "halted"]), prune.dead("main"),
                  prune.broken("main"), prune.lost()]))
'''


def _store(home: Path, entries: dict[str, str], runs: dict[str, str]) -> None:
    (home / "agents" / "main" / "sessions").mkdir(parents=True, exist_ok=True)
    (home / "subagents").mkdir(exist_ok=True)
    (home / "agents" / "main" / "sessions" / "sessions.json").write_text(
        json.dumps({k: {"status": s} for k, s in entries.items()}), "utf-8")
    (home / "subagents" / "runs.json").write_text(
        json.dumps({"runs": {k: {"outcome": {"status": s}} for k, s in runs.items()}}), "utf-8")


def test_a_collection_passed_to_the_function_that_tests_it(tmp_path: Path) -> None:
    """`stale(store, wanted)` tests a sessions.json entry's status in its
    parameter: what every call passes (a local copy of `DEAD`, `DEAD`
    itself, a literal) is a session collection. The subagent runs'
    `timeout` (an `outcome` status, a parameter's default) is left alone."""
    root, home = tmp_path / "project", tmp_path / "home"
    _project(root, {"prune.py": PRUNE})
    home.mkdir()
    scan = run_cli("scan", ".", "--format", "json", "--min-confidence", "possible", cwd=root)
    found = [(f["line"], f["old"], f["confidence"], f["rule"]) for f in json.loads(scan.stdout)["findings"]]
    assert found == [
        (4, "done", "certain", "status-constant"),
        (4, "killed", "certain", "status-constant"),
        (23, "failed", "certain", "status-held-collection"),
    ]
    old = {"a": "done", "b": "killed", "c": "failed", "d": "running"}
    new = {"a": "agent_responded", "b": "halted", "c": "interrupted", "d": "running"}
    expected = [["a", "b"], ["b"], ["a", "b"], ["c"], ["r1"]]
    _store(home, old, {"r1": "timeout", "r2": "ok"})
    assert _run(CALL_PRUNE, root, str(home)) == expected
    for phase, text in (("expand", PRUNE_EXPAND), ("contract", PRUNE_CONTRACT)):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert (root / "crew" / "prune.py").read_text("utf-8") == text
        for entries in ([old, new] if phase == "expand" else [new]):
            _store(home, entries, {"r1": "timeout", "r2": "ok"})
            assert _run(CALL_PRUNE, root, str(home)) == expected


# -- 3. the choices of an option whose value becomes the tested collection -------

CLI = '''import argparse
import json
from pathlib import Path


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("state_dir", type=Path)
    p.add_argument("--only", action="append", choices=["done", "failed", "killed"])
    p.add_argument("--job", action="append", choices=["done", "failed", "queued"])
    args = p.parse_args(argv)
    wanted = set(args.only or ["failed"])
    store = args.state_dir / "agents" / "main" / "sessions" / "sessions.json"
    entries = json.loads(store.read_text())
    keys = sorted(k for k, e in entries.items() if e["status"] in wanted)
    jobs = json.loads((args.state_dir / "jobs.json").read_text())
    kept = set(args.job or ["done"])
    return keys, sorted(j["id"] for j in jobs if j["state"] in kept)


if __name__ == "__main__":
    print(json.dumps(main()))
'''

CLI_EXPAND = CLI.replace('choices=["done", "failed", "killed"]',
                         'choices=["done", "agent_responded", "failed", "interrupted", "killed", "halted"]').replace(
    'set(args.only or ["failed"])', 'set(args.only or ["failed", "interrupted"])')
CLI_CONTRACT = CLI.replace('choices=["done", "failed", "killed"]',
                           'choices=["agent_responded", "interrupted", "halted"]').replace(
    'set(args.only or ["failed"])', 'set(args.only or ["interrupted"])')


def _cli(root: Path, state: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(root / "crew" / "cli.py"), str(state), *flags],
                          capture_output=True, text=True)


def test_the_choices_of_an_option_that_becomes_the_tested_collection(tmp_path: Path) -> None:
    """`--only done` must still be accepted after expand, and the new name
    too; after contract the choices speak the new names. `--job`, whose
    value is tested against the jobs' own states, keeps its choices."""
    root, state = tmp_path / "project", tmp_path / "state"
    _project(root, {"cli.py": CLI})
    (state / "agents" / "main" / "sessions").mkdir(parents=True)
    (state / "jobs.json").write_text(json.dumps([{"id": "j1", "state": "done"}, {"id": "j2", "state": "failed"}]))

    def entries(names: dict[str, str]) -> None:
        (state / "agents" / "main" / "sessions" / "sessions.json").write_text(
            json.dumps({k: {"status": s} for k, s in names.items()}), "utf-8")

    old = {"a": "done", "b": "failed", "c": "killed"}
    new = {"a": "agent_responded", "b": "interrupted", "c": "halted"}
    entries(old)
    assert json.loads(_cli(root, state, "--only", "done", "--job", "failed").stdout) == [["a"], ["j2"]]
    for phase, text in (("expand", CLI_EXPAND), ("contract", CLI_CONTRACT)):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert (root / "crew" / "cli.py").read_text("utf-8") == text
        # Each name of the phase is accepted, and picks the rows that say it.
        for names in ([old, new] if phase == "expand" else [new]):
            entries(names)
            ran = _cli(root, state, "--only", names["a"], "--job", "failed")
            assert (ran.returncode, json.loads(ran.stdout)) == (0, [["a"], ["j2"]]), ran.stderr
            assert json.loads(_cli(root, state).stdout) == [["b"], ["j1"]]
    refused = _cli(root, state, "--only", "done")
    assert refused.returncode == 2 and "invalid choice: 'done'" in refused.stderr


LIB = '''import json
from pathlib import Path


def stale(agent_dir, wanted):
    entries = json.loads((Path(agent_dir) / "sessions" / "sessions.json").read_text())
    return sorted(key for key, entry in entries.items() if entry.get("status") in wanted)


def lost(state_dir, wanted):
    runs = json.loads((Path(state_dir) / "subagents" / "runs.json").read_text())["runs"]
    return sorted(rid for rid, run in runs.items() if run["outcome"]["status"] in wanted)
'''

MAIN = '''from . import lib
from .lib import lost, stale

DEAD = ("done", "killed")


def run(state_dir, only=None):
    chosen = set(only or DEAD)
    agent_dir = state_dir + "/agents/main"
    return stale(agent_dir, chosen), lib.stale(agent_dir, ["failed"]), lost(state_dir, ("timeout",))
'''

CALL_MAIN = '''import json, sys
sys.path.insert(0, sys.argv[1])
from crew import main
print(json.dumps(main.run(sys.argv[2])))
'''


def test_a_collection_passed_to_a_function_of_another_module_that_tests_it(tmp_path: Path) -> None:
    """`lib.stale` tests a sessions.json entry's status in its parameter:
    the callers in `main.py` pass session collections (a copy of `DEAD`, a
    literal), rewritten there. `lib.lost` tests a subagent run's `outcome`
    status: what it is passed stays."""
    root, home = tmp_path / "project", tmp_path / "home"
    _project(root, {"lib.py": LIB, "main.py": MAIN})
    home.mkdir()
    scan = run_cli("scan", ".", "--format", "json", "--min-confidence", "possible", cwd=root)
    found = [(f["path"], f["line"], f["old"], f["confidence"]) for f in json.loads(scan.stdout)["findings"]]
    assert found == [("crew/main.py", 4, "done", "certain"), ("crew/main.py", 4, "killed", "certain"),
                     ("crew/main.py", 10, "failed", "certain")]
    old = {"a": "done", "b": "killed", "c": "failed", "d": "running"}
    new = {"a": "agent_responded", "b": "halted", "c": "interrupted", "d": "running"}
    expected = [["a", "b"], ["c"], ["r1"]]
    _store(home, old, {"r1": "timeout", "r2": "ok"})
    assert _run(CALL_MAIN, root, str(home)) == expected
    for phase, dead, failed in (("expand", '"done", "agent_responded", "killed", "halted"', '"failed", "interrupted"'),
                                ("contract", '"agent_responded", "halted"', '"interrupted"')):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert (root / "crew" / "main.py").read_text("utf-8") == MAIN.replace(
            '"done", "killed"', dead).replace('["failed"]', f"[{failed}]")
        assert (root / "crew" / "lib.py").read_text("utf-8") == LIB
        for entries in ([old, new] if phase == "expand" else [new]):
            _store(home, entries, {"r1": "timeout", "r2": "ok"})
            assert _run(CALL_MAIN, root, str(home)) == expected


# -- the site test: which files the full analysis reads -------------------------

def test_a_collection_that_fills_a_tested_name_is_a_site() -> None:
    """On lines that quote an old name (the only ones asked where the module
    does not talk to OpenClaw): a local, a growing call, an option's
    choices, an argument of a function that tests it, each filling a name
    a status is tested in."""
    sites = Sites(load_manifest(), re.compile(rb"[\"'](?:done|failed|timeout|killed)[\"']"))
    tested = 'def f(rows, wanted):\n    return [r for r in rows if r["status"] in wanted]\n'
    cases = [
        ('def g(rows):\n    bad = ("failed", "timeout")\n    return [r for r in rows if r["status"] in bad]\n', True),
        ('def g(rows, bad):\n    bad.add("killed")\n    return [r for r in rows if r.get("status") in bad]\n', True),
        ('def g(rows):\n    bad = ("failed", "timeout")\n    return [r for r in rows if r["kind"] in bad]\n', False),
        (tested + 'def g(rows):\n    return f(rows, ["done"])\n', True),
        (tested + 'def g(rows):\n    chosen = ["done"]\n    return f(rows, chosen)\n', True),
        (tested + 'def g(rows):\n    return h(rows, ["done"])\n', False),  # nothing tests what `h` is given
        ('import argparse\np = argparse.ArgumentParser()\np.add_argument("--only", choices=["done", "failed"])\n'
         'args = p.parse_args()\nwanted = set(args.only)\nkeys = [r for r in rows if r["status"] in wanted]\n', True),
    ]
    for code, site in cases:
        assert sites.found(code.encode(), False) is site, code
