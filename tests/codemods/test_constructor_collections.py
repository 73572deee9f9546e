"""A collection an object keeps and tests in a method: passed to its class's
constructor (``self.statuses = frozenset(statuses)``, then ``entry.get("status")
in self.statuses``), from the class's own module or another one, by keyword or
by position; and a class's own collection bound whole to placeholders
generated from its length (``",".join("?" * len(self.ENDED))``). Each is
rewritten where it is written, as a collection written in the test is; the
same shapes over a job queue's states change nothing."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

CHECKS = '''"""Alert rules over a gateway's session store, and over the job queue."""

import json
import sqlite3
from pathlib import Path


class StoreRule:
    """Fires for the sessions of a store whose status is one of ``statuses``."""

    def __init__(self, name, statuses=("failed",), *, store="sessions.json"):
        self.name = name
        self.statuses = frozenset(statuses)
        self.store = store

    def fired(self, state_dir):
        entries = json.loads((Path(state_dir) / self.store).read_text("utf-8"))
        return sorted(key for key, entry in entries.items() if entry.get("status") in self.statuses)


class WindowTally:
    """How many session windows ended each way."""

    ENDED = ["done", "killed"]

    def counts(self, db):
        holes = ",".join("?" * len(self.ENDED))
        with sqlite3.connect(db) as con:
            found = con.execute(f"SELECT status, COUNT(*) FROM session_windows WHERE status IN ({holes}) GROUP BY status",
                                self.ENDED).fetchall()
        return dict(found)


class JobRule:
    """Fires for the queued jobs whose state is one of ``states``."""

    def __init__(self, name, states=("failed",)):
        self.name = name
        self.states = set(states)

    def fired(self, queue):
        return sorted(job["id"] for job in queue.jobs() if job["state"] in self.states)


class JobTally:
    FINISHED = ("done", "failed")

    def counts(self, db):
        holes = ",".join("?" * len(self.FINISHED))
        with sqlite3.connect(db) as con:
            return dict(con.execute(f"SELECT state, COUNT(*) FROM jobs WHERE state IN ({holes}) GROUP BY state",
                                    self.FINISHED).fetchall())
'''

RULES = '''"""The rules this deployment runs."""

from alerts import checks
from alerts.checks import JobRule, StoreRule

RULES = [
    StoreRule("stuck", statuses=["timeout", "failed"]),
    checks.StoreRule("quiet", ("done",), store="sessions.json"),
    JobRule("retry", states=("failed", "timeout")),
    JobRule("over", ["done"]),
]
'''

EXPAND = {
    "checks.py": CHECKS.replace('statuses=("failed",)', 'statuses=("failed", "interrupted",)')
    .replace('ENDED = ["done", "killed"]', 'ENDED = ["done", "agent_responded", "killed", "halted"]'),
    "rules.py": RULES.replace('statuses=["timeout", "failed"]',
                              'statuses=["timeout", "waiting_for_response", "failed", "interrupted"]')
    .replace('("quiet", ("done",)', '("quiet", ("done", "agent_responded",)'),
}
CONTRACT = {
    "checks.py": CHECKS.replace('statuses=("failed",)', 'statuses=("interrupted",)')
    .replace('ENDED = ["done", "killed"]', 'ENDED = ["agent_responded", "halted"]'),
    "rules.py": RULES.replace('statuses=["timeout", "failed"]', 'statuses=["waiting_for_response", "interrupted"]')
    .replace('("quiet", ("done",)', '("quiet", ("agent_responded",)'),
}

# Runs the rules against a state directory (its sessions.json and a SQLite
# store of session windows) and a job queue, in a fresh interpreter.
CALL = """import json, sys
sys.path.insert(0, sys.argv[1])
from alerts import checks, rules
state = sys.argv[2]

class Queue:
    def jobs(self):
        return [{"id": "j1", "state": "failed"}, {"id": "j2", "state": "done"}, {"id": "j3", "state": "interrupted"}]

print(json.dumps({
    "sessions": [rule.fired(state) for rule in rules.RULES[:2]] + [checks.StoreRule("default").fired(state)],
    "windows": checks.WindowTally().counts(state + "/store.sqlite"),
    "jobs": [rule.fired(Queue()) for rule in rules.RULES[2:]],
    "job_counts": checks.JobTally().counts(state + "/store.sqlite"),
}, sort_keys=True))
"""


def _project(root: Path) -> None:
    (root / "alerts").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.migrator]\n", "utf-8")
    (root / "alerts" / "__init__.py").write_text("", "utf-8")
    (root / "alerts" / "checks.py").write_text(CHECKS, "utf-8")
    (root / "alerts" / "rules.py").write_text(RULES, "utf-8")


def _state(state: Path, statuses: dict[str, str]) -> None:
    """A sessions.json store and a SQLite store (session windows, and the job
    queue's own table) holding ``statuses``, the jobs always in their own words."""
    state.mkdir(exist_ok=True)
    (state / "sessions.json").write_text(json.dumps({k: {"status": s} for k, s in statuses.items()}), "utf-8")
    db = state / "store.sqlite"
    db.unlink(missing_ok=True)
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE session_windows (session_key TEXT, status TEXT)")
        con.executemany("INSERT INTO session_windows VALUES (?, ?)", list(statuses.items()))
        con.execute("CREATE TABLE jobs (id TEXT, state TEXT)")
        con.executemany("INSERT INTO jobs VALUES (?, ?)", [("j1", "done"), ("j2", "failed"), ("j3", "agent_responded")])
    con.close()


def _run(root: Path, state: Path) -> object:
    done = subprocess.run([sys.executable, "-c", CALL, str(root), str(state)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


OLD = {"a": "failed", "b": "timeout", "c": "done", "d": "killed", "e": "running"}
NEW = {"a": "interrupted", "b": "waiting_for_response", "c": "agent_responded", "d": "halted", "e": "running"}
JOBS = {"jobs": [["j1"], ["j2"]], "job_counts": {"done": 1, "failed": 1}}


def test_a_collection_passed_to_a_constructor_and_a_class_collection_bound_to_generated_placeholders(
    tmp_path: Path,
) -> None:
    root, state = tmp_path / "project", tmp_path / "state"
    _project(root)
    scan = run_cli("scan", ".", "--format", "json", cwd=root)
    assert scan.returncode == 1, scan.stderr
    found = sorted((f["path"].rsplit("/", 1)[-1], f["line"], f["old"], f["rule"], f["confidence"])
                   for f in json.loads(scan.stdout)["findings"])
    assert found == [
        ("checks.py", 11, "failed", "status-held-collection", "certain"),
        ("checks.py", 24, "done", "status-held-collection", "certain"),
        ("checks.py", 24, "killed", "status-held-collection", "certain"),
        ("rules.py", 7, "failed", "status-held-collection", "certain"),
        ("rules.py", 7, "timeout", "status-held-collection", "certain"),
        ("rules.py", 8, "done", "status-held-collection", "certain"),
    ]
    why = {f["line"]: f["why"] for f in json.loads(scan.stdout)["findings"] if f["path"].endswith("rules.py")}
    assert "StoreRule()" in why[7] and "sessions.json" in why[7]

    before = {"sessions": [["a", "b"], ["c"], ["a"]], "windows": {"done": 1, "killed": 1}, **JOBS}
    _state(state, OLD)
    assert _run(root, state) == before
    for phase, expected in (("expand", EXPAND), ("contract", CONTRACT)):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stdout + done.stderr
        for name, text in expected.items():
            assert (root / "alerts" / name).read_text("utf-8") == text, (phase, name)
        if phase == "expand":
            # Old rows and new rows alike, while both gateways may write the store.
            _state(state, OLD)
            assert _run(root, state) == before
        _state(state, NEW)
        assert _run(root, state) == {"sessions": [["a", "b"], ["c"], ["a"]],
                                     "windows": {"agent_responded": 1, "halted": 1}, **JOBS}
    rescan = run_cli("scan", ".", "--phase", "contract", cwd=root)
    assert rescan.returncode == 0, rescan.stdout


def test_the_same_shapes_over_a_job_queue_change_nothing(tmp_path: Path) -> None:
    root = tmp_path / "project"
    _project(root)
    for name in ("checks.py", "rules.py"):
        text = (root / "alerts" / name).read_text("utf-8")
        # Only the job queue's classes: the session ones, and their calls, gone.
        kept = text.split("class StoreRule")[0] + "class JobRule" + text.split("class JobRule")[1] if name == "checks.py" \
            else text.replace("from alerts.checks import JobRule, StoreRule", "from alerts.checks import JobRule").replace(
                '    StoreRule("stuck", statuses=["timeout", "failed"]),\n'
                '    checks.StoreRule("quiet", ("done",), store="sessions.json"),\n', "")
        (root / "alerts" / name).write_text(kept, "utf-8")
    before = {n: (root / "alerts" / n).read_bytes() for n in ("checks.py", "rules.py")}
    assert b'"done", "failed"' in before["checks.py"] and b'("failed", "timeout")' in before["rules.py"]
    for phase in ("expand", "contract"):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stdout + done.stderr
        assert {n: (root / "alerts" / n).read_bytes() for n in before} == before
    scan = run_cli("scan", ".", "--min-confidence", "possible", cwd=root)
    assert scan.returncode == 0, scan.stdout
