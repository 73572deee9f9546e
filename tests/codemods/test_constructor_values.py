"""One session status passed to a class's constructor, kept as it is on the
instance (``self.target = target``) and compared in a method (``... ==
self.target``), from the class's own module or another one: a single value,
kept in expand (contract pending) and renamed in contract, as a writer is.
The same shape over a job queue's state changes nothing."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

ALARMS = '''"""Alarms that go off when one session, or one queued job, reaches a state."""

import sqlite3


class SessionAlarm:
    def __init__(self, key, target="done"):
        self.key = key
        self.target = target

    def current(self, db):
        with sqlite3.connect(db) as con:
            row = con.execute("SELECT status FROM session_nodes WHERE session_key = ?", (self.key,)).fetchone()
        return row[0] if row else None

    def rings(self, db):
        return self.current(db) == self.target


class JobAlarm:
    def __init__(self, job_id, state="done"):
        self.job_id = job_id
        self.state = state

    def rings(self, queue):
        return any(job["state"] == self.state for job in queue.jobs() if job["id"] == self.job_id)


NIGHTLY = SessionAlarm("agent:main:cron", "timeout")
'''

SETUP = '''from watch import alarms
from watch.alarms import JobAlarm, SessionAlarm

ALARMS = [
    SessionAlarm("agent:main:main", target="failed"),
    alarms.SessionAlarm("agent:ops:main", "killed"),
    JobAlarm("j1", state="failed"),
    JobAlarm("j2", "timeout"),
]
'''

CONTRACT = {
    "alarms.py": ALARMS.replace('target="done"', 'target="agent_responded"')
    .replace('"agent:main:cron", "timeout"', '"agent:main:cron", "waiting_for_response"'),
    "setup.py": SETUP.replace('target="failed"', 'target="interrupted"').replace('"agent:ops:main", "killed"',
                                                                              '"agent:ops:main", "halted"'),
}

# Which alarms ring over a session store and a job queue, in a fresh interpreter.
CALL = """import json, sys
sys.path.insert(0, sys.argv[1])
from watch import alarms, setup

class Queue:
    def jobs(self):
        return [{"id": "j1", "state": "failed"}, {"id": "j2", "state": "timeout"}]

db = sys.argv[2]
sessions = [a.rings(db) for a in setup.ALARMS[:2]] + [alarms.NIGHTLY.rings(db), alarms.SessionAlarm("agent:x").rings(db)]
print(json.dumps({"sessions": sessions, "jobs": [a.rings(Queue()) for a in setup.ALARMS[2:]]}))
"""


def _store(db: Path, statuses: dict[str, str]) -> None:
    db.unlink(missing_ok=True)
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE session_nodes (session_key TEXT PRIMARY KEY, status TEXT)")
        con.executemany("INSERT INTO session_nodes VALUES (?, ?)", list(statuses.items()))
    con.close()


def _rings(root: Path, db: Path) -> object:
    done = subprocess.run([sys.executable, "-c", CALL, str(root), str(db)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _project(root: Path, files: dict[str, str]) -> None:
    (root / "watch").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.migrator]\n", "utf-8")
    (root / "watch" / "__init__.py").write_text("", "utf-8")
    for name, text in files.items():
        (root / "watch" / name).write_text(text, "utf-8")


OLD = {"agent:main:main": "failed", "agent:ops:main": "killed", "agent:main:cron": "timeout", "agent:x": "done"}
NEW = {"agent:main:main": "interrupted", "agent:ops:main": "halted", "agent:main:cron": "waiting_for_response",
       "agent:x": "agent_responded"}
RINGS = {"sessions": [True, True, True, True], "jobs": [True, True]}


def test_a_status_passed_to_a_constructor_and_compared_in_a_method(tmp_path: Path) -> None:
    root, db = tmp_path / "project", tmp_path / "agent.sqlite"
    _project(root, {"alarms.py": ALARMS, "setup.py": SETUP})
    scan = run_cli("scan", ".", "--format", "json", cwd=root)
    report = json.loads(scan.stdout)
    assert scan.returncode == 0, scan.stdout + scan.stderr  # nothing to do in expand but wait
    notes = [re.match(r".*/(\w+\.py):(\d+):\d+: ([\w-]+): `(\w+)` kept in expand", n) for n in report["notes"]]
    kept = sorted((m[1], int(m[2]), m[4], m[3]) for m in notes if m)
    assert kept == [("alarms.py", 7, "done", "status-passed-value"), ("alarms.py", 29, "timeout", "status-passed-value"),
                    ("setup.py", 5, "failed", "status-passed-value"), ("setup.py", 6, "killed", "status-passed-value")]
    _store(db, OLD)
    assert _rings(root, db) == RINGS
    done = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (root / "watch" / "alarms.py").read_text("utf-8") == ALARMS
    assert (root / "watch" / "setup.py").read_text("utf-8") == SETUP
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    for name, text in CONTRACT.items():
        assert (root / "watch" / name).read_text("utf-8") == text, name
    _store(db, NEW)
    assert _rings(root, db) == RINGS
    assert run_cli("scan", ".", "--phase", "contract", cwd=root).returncode == 0


def test_a_job_state_passed_to_a_constructor_is_left_alone(tmp_path: Path) -> None:
    root = tmp_path / "project"
    jobs = ALARMS.split("class SessionAlarm")[0] + "class JobAlarm" + ALARMS.split("class JobAlarm")[1].split("NIGHTLY")[0]
    setup = "from watch.alarms import JobAlarm\n\nALARMS = [\n    JobAlarm(\"j1\", state=\"failed\"),\n" \
            "    JobAlarm(\"j2\", \"timeout\"),\n]\n"
    _project(root, {"alarms.py": jobs, "setup.py": setup})
    for phase in ("expand", "contract"):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stdout + done.stderr
        assert (root / "watch" / "alarms.py").read_text("utf-8") == jobs
        assert (root / "watch" / "setup.py").read_text("utf-8") == setup
    scan = run_cli("scan", ".", "--format", "json", "--min-confidence", "possible", cwd=root)
    assert json.loads(scan.stdout)["findings"] == [] and json.loads(scan.stdout)["notes"] == []
