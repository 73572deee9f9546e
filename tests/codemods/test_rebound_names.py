"""A plain name holding the status of a session row, rebound to an old name
(``status = row.get("status")``, then ``if status is None and aborted:
status = "killed"``): a write of the row's status. Expand keeps it (old
gateways still write it) and makes the test that reads the name next accept
both names; contract renames it. The same rebinding of an rq job's status
changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import apply_phase, write_package

WIRE = '''"""Session rows of `openclaw sessions --json`, flattened for the export."""

import json
import subprocess


def rows():
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out).get("sessions", [])


def flatten(row):
    status = row.get("status")
    aborted = bool(row.get("abortedLastRun"))
    if status is None and aborted:
        status = "WRITTEN"
    return {"key": row["key"], "status": status, "final": status in (FINAL)}


def export():
    return [flatten(r) for r in rows()]
'''

# Another vocabulary: an rq job's status, rebound the same way.
JOBS = '''"""Jobs of the export queue."""

from redis import Redis
from rq.job import Job


def settled(job_id):
    job = Job.fetch(job_id, connection=Redis())
    status = job.get_status()
    if status is None:
        status = "failed"
    return status in ("finished", "failed", "stopped")
'''


def _wire(written: str, final: str) -> str:
    return WIRE.replace("WRITTEN", written).replace("FINAL", final)


BEFORE = {"wire.py": _wire("killed", '"done", "failed", "killed"'), "jobs.py": JOBS}
EXPAND = {"wire.py": _wire("killed", '"done", "agent_responded", "failed", "interrupted", "killed", "halted"')}
CONTRACT = {"wire.py": _wire("halted", '"agent_responded", "interrupted", "halted"')}


def _flatten(root: Path, row: dict[str, object]) -> str:
    code = f"from mirror.wire import flatten\nprint(flatten({row!r}))\n"
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_expand_keeps_the_written_name_and_the_test_accepts_both(tmp_path: Path) -> None:
    package = write_package(tmp_path, "mirror", BEFORE)
    apply_phase(tmp_path, "expand", package, BEFORE, EXPAND)
    assert _flatten(tmp_path, {"key": "a", "abortedLastRun": True}) == "{'key': 'a', 'status': 'killed', 'final': True}"
    assert _flatten(tmp_path, {"key": "b", "status": "halted"}) == "{'key': 'b', 'status': 'halted', 'final': True}"


def test_contract_writes_the_new_name(tmp_path: Path) -> None:
    package = write_package(tmp_path, "mirror", BEFORE)
    apply_phase(tmp_path, "contract", package, BEFORE, CONTRACT)
    assert _flatten(tmp_path, {"key": "a", "abortedLastRun": True}) == "{'key': 'a', 'status': 'halted', 'final': True}"
    assert _flatten(tmp_path, {"key": "c", "status": "running"}) == "{'key': 'c', 'status': 'running', 'final': False}"


def test_an_rq_jobs_status_rebound_the_same_way_is_left_alone(tmp_path: Path) -> None:
    alone = {"jobs.py": JOBS}
    package = write_package(tmp_path, "mirror", alone)
    apply_phase(tmp_path, "contract", package, alone, {})
