"""A status set built as a union with a literal (`ENDED = BROKEN | {"done",
"killed"}`, `frozenset({...}) | {...}`) is a collection of all its names: the
literal part is rewritten with the union's uses, the constants it unites are
judged as themselves, here or in the module that defines them. A union of a
job queue's states stays as it is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

STATES = '''"""How a session's last run ended, as OpenClaw reports it."""

BROKEN = frozenset({"failed", "timeout"})
ENDED = BROKEN | {"done", "killed"}
KNOWN = ENDED | {"running"}
'''

WATCH = '''import json
from pathlib import Path

from states import BROKEN, ENDED, KNOWN

SETTLED = frozenset({"done"}) | {"killed"}


def store(home):
    return json.loads(Path(home, "sessions.json").read_text("utf-8"))


def ended(home):
    return sorted(k for k, e in store(home).items() if e.get("status") in ENDED)


def broken(home):
    return sorted(k for k, e in store(home).items() if e.get("status") in BROKEN)


def settled(home):
    return sorted(k for k, e in store(home).items() if e.get("status") in SETTLED)


def strange(home):
    return sorted(k for k, e in store(home).items() if e.get("status") not in KNOWN)
'''

JOBS = '''RETRYABLE = frozenset({"failed", "timeout"})
FINAL = RETRYABLE | {"done", "cancelled"}


def finished(job):
    return job["status"] in FINAL


def retry(job):
    return job["status"] in RETRYABLE
'''

ROWS = "where `e` iterates what `store()` (watch.py:9) returns, decoded from a path naming `sessions.json`"


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "ends"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "ends"\n', "utf-8")
    for name, text in (("states.py", STATES), ("watch.py", WATCH), ("jobs.py", JOBS)):
        (root / name).write_text(text, "utf-8")
    return root


def test_the_literal_part_of_a_union_is_a_status_collection(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", "--show-why", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    remote = "in another module: in watch.py: compared with `e.get(\"status\")`, " + ROWS
    local = "through `SETTLED`: compared with `e.get(\"status\")`, " + ROWS
    assert scan.stdout.splitlines() == [
        f"states.py:3:21: status-set-call [certain, rewrite] 'failed' -> 'interrupted': constant `BROKEN` is used "
        f"in a status test {remote}",
        f"states.py:3:31: status-set-call [certain, rewrite] 'timeout' -> 'waiting_for_response': constant `BROKEN` "
        f"is used in a status test {remote}",
        f"states.py:4:19: status-constant [certain, rewrite] 'done' -> 'agent_responded': constant `ENDED` is used "
        f"in a status test {remote}",
        f"states.py:4:27: status-constant [certain, rewrite] 'killed' -> 'halted': constant `ENDED` is used in a "
        f"status test {remote}",
        f"watch.py:6:22: status-set-call [certain, rewrite] 'done' -> 'agent_responded': constant `SETTLED` is used "
        f"in a status test: {local}",
        f"watch.py:6:34: status-constant [certain, rewrite] 'killed' -> 'halted': constant `SETTLED` is used in a "
        f"status test: {local}",
        "3 files scanned, 6 findings: 6 to rewrite, 0 to review (expand phase)",
    ]


EXPANDED = {
    "states.py": STATES.replace('{"failed", "timeout"}', '{"failed", "interrupted", "timeout", "waiting_for_response"}')
    .replace('{"done", "killed"}', '{"done", "agent_responded", "killed", "halted"}'),
    "watch.py": WATCH.replace('frozenset({"done"}) | {"killed"}',
                              'frozenset({"done", "agent_responded"}) | {"killed", "halted"}'),
    "jobs.py": JOBS,
}
CONTRACTED = {
    "states.py": STATES.replace('{"failed", "timeout"}', '{"interrupted", "waiting_for_response"}')
    .replace('{"done", "killed"}', '{"agent_responded", "halted"}'),
    "watch.py": WATCH.replace('frozenset({"done"}) | {"killed"}', 'frozenset({"agent_responded"}) | {"halted"}'),
    "jobs.py": JOBS,
}
NEW = {"failed": "interrupted", "timeout": "waiting_for_response", "done": "agent_responded", "killed": "halted"}


def test_after_expand_and_contract(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    old = _behaviour(root)
    assert old["ended"] == ["done", "failed", "killed", "timeout"]
    assert old["strange"] == sorted(NEW.values())
    for phase, want in (("expand", EXPANDED), ("contract", CONTRACTED)):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert {name: (root / name).read_text("utf-8") for name in want} == want, phase
        got = _behaviour(root)
        for check in ("ended", "broken", "settled"):
            renamed = sorted(NEW[s] for s in old[check])
            assert got[check] == sorted(old[check] + renamed if phase == "expand" else renamed), (phase, check)
        assert got["strange"] == ([] if phase == "expand" else sorted(NEW))
    assert run_cli("scan", ".", cwd=root).stdout == "3 files scanned, 0 findings: 0 to rewrite, 0 to review (expand phase)\n"


def _behaviour(root: Path) -> dict[str, list[str]]:
    """Which statuses of a sessions.json each test takes, old and new names
    alike; the job queue's tests are checked to take what they always took."""
    home = root.parent / "home"
    home.mkdir(exist_ok=True)  # outside the tree the tool migrates
    store = {s: {"status": s} for s in ["running", *NEW, *NEW.values()]}
    (home / "sessions.json").write_text(json.dumps(store), "utf-8")
    code = (
        "import json, sys, jobs, watch\n"
        "out = {f: getattr(watch, f)(sys.argv[1]) for f in ('ended', 'broken', 'settled', 'strange')}\n"
        "states = ['failed', 'timeout', 'done', 'cancelled', 'interrupted', 'queued']\n"
        "assert [jobs.finished({'status': s}) for s in states] == [True, True, True, True, False, False]\n"
        "assert [jobs.retry({'status': s}) for s in states] == [True, True, False, False, False, False]\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(home)], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))
