"""A pydantic model of gateway rows names its fields in snake case and keeps
the row's keys as aliases (`sid: str = Field(alias="sessionId")`): the
aliases are the row's shape, so the model is a session row type wherever it
is built. Its status `Literal`, its own status tests and a copy of it given
a status are rewritten; the copy is found through a loop over a copy of a
cache's items (`for key, seat in list(cache.items())`, the cache a
parameter annotated `dict[str, Seat]`). A model of the worker's own jobs,
with aliases too but not a session row's (`jobId`), keeps its words."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli, write_package

MODELS = '''from typing import Literal, Optional

from pydantic import BaseModel, Field

Phase = Literal["queued", "running", "done", "failed", "killed"]
JobPhase = Literal["queued", "running", "done", "failed"]


class Seat(BaseModel):
    """A gateway row, its keys kept as aliases of snake-case fields."""

    key: str
    sid: Optional[str] = Field(default=None, alias="sessionId")
    touched: int = Field(default=0, alias="updatedAt")
    status: Optional[Phase] = None

    def finished(self) -> bool:
        return self.status in ("done", "failed", "killed")


class Job(BaseModel):
    """A job of the worker's own queue."""

    job_id: str = Field(alias="jobId")
    touched: int = Field(default=0, alias="updatedAt")
    status: JobPhase = "queued"

    def finished(self) -> bool:
        return self.status in ("done", "failed")
'''

MIRROR = '''from roster.models import Job, Seat


def expire(cache: dict[str, Seat], live: set[str]) -> dict[str, Seat]:
    for key, seat in list(cache.items()):
        if key not in live and seat.status == "running":
            cache[key] = seat.model_copy(update={"status": "killed"})
    return cache


def give_up(jobs: dict[str, Job], live: set[str]) -> dict[str, Job]:
    for key, job in sorted(jobs.items()):
        if key not in live and job.status == "running":
            jobs[key] = job.model_copy(update={"status": "failed"})
    return jobs
'''

OLD_PHASE = 'Phase = Literal["queued", "running", "done", "failed", "killed"]'
OLD_TEST = 'return self.status in ("done", "failed", "killed")'
EXPANDED = MODELS.replace(
    OLD_PHASE, 'Phase = Literal["queued", "running", "done", "agent_responded", "failed", "interrupted", "killed", "halted"]'
).replace(OLD_TEST, 'return self.status in ("done", "agent_responded", "failed", "interrupted", "killed", "halted")')
CONTRACTED = MODELS.replace(
    OLD_PHASE, 'Phase = Literal["queued", "running", "agent_responded", "interrupted", "halted"]'
).replace(OLD_TEST, 'return self.status in ("agent_responded", "interrupted", "halted")')
CONTRACTED_MIRROR = MIRROR.replace('update={"status": "killed"}', 'update={"status": "halted"}')

SHAPE = "`Seat` is a `Seat`, whose fields (`sessionId`, `updatedAt`, `status`) are a session row's (roster/models.py:9)"


def _tree(tmp_path: Path) -> Path:
    write_package(tmp_path, "roster", {"models.py": MODELS, "mirror.py": MIRROR})
    return tmp_path


def test_a_model_is_a_session_row_by_its_aliases(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", "--phase", "contract", "--show-why", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    literal = "status-literal-type [certain, rewrite] {!r} -> {!r}: `Literal` `Phase`, the type of `Seat.status`, where "
    member = "status-membership [certain, rewrite] {!r} -> {!r}: compared with `self.status`, where `self` is a `Seat`, " \
        "whose fields (`sessionId`, `updatedAt`, `status`) are a session row's (roster/models.py:9)"
    review = "status-membership [possible, review] {!r} -> {!r}: compared with `self.status`, but nothing ties it to OpenClaw"
    assert scan.stdout.splitlines() == [
        "roster/mirror.py:7:60: status-copy-writer [certain, rewrite] 'killed' -> 'halted': the status of a copy of "
        "`seat` made by `.model_copy()`, where `seat` iterates `cache` holds a `Seat`, whose fields (`sessionId`, "
        "`updatedAt`, `status`) are a session row's (roster/models.py:9)",
        "roster/models.py:5:38: " + literal.format("done", "agent_responded") + SHAPE,
        "roster/models.py:5:46: " + literal.format("failed", "interrupted") + SHAPE,
        "roster/models.py:5:56: " + literal.format("killed", "halted") + SHAPE,
        "roster/models.py:18:32: " + member.format("done", "agent_responded"),
        "roster/models.py:18:40: " + member.format("failed", "interrupted"),
        "roster/models.py:18:50: " + member.format("killed", "halted"),
        "to review (2):",
        # The job model's words are shared with the session vocabulary, not tied to it: a person looks.
        "roster/models.py:29:32: " + review.format("done", "agent_responded"),
        "roster/models.py:29:40: " + review.format("failed", "interrupted"),
        "3 files scanned, 9 findings: 7 to rewrite, 2 to review (contract phase)",
    ]


def test_expand_then_contract_and_the_models_still_validate(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert _behaviour(root, ["done", "failed", "killed"]) == {
        "accepted": {"done": True, "failed": True, "killed": True}, "finished": [True, True, True],
        "expired": "killed", "job": "failed"}
    done = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    # Expand keeps writing the old name (an old gateway may read the mirror).
    assert [(root / "roster" / n).read_text("utf-8") for n in ("models.py", "mirror.py")] == [EXPANDED, MIRROR]
    both = ["done", "agent_responded", "failed", "interrupted", "killed", "halted"]
    assert _behaviour(root, both) == {"accepted": dict.fromkeys(both, True), "finished": [True] * 6,
                                      "expired": "killed", "job": "failed"}
    fresh = tmp_path.parent / f"{tmp_path.name}-fresh"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".migrator"))
    for tree in (root, fresh):
        done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=tree)
        assert done.returncode == 0, done.stderr
        assert [(tree / "roster" / n).read_text("utf-8") for n in ("models.py", "mirror.py")] == [
            CONTRACTED, CONTRACTED_MIRROR]
    assert _behaviour(root, ["agent_responded", "interrupted", "halted", "done"]) == {
        "accepted": {"agent_responded": True, "interrupted": True, "halted": True, "done": False},
        "finished": [True, True, True], "expired": "halted", "job": "failed"}


def _behaviour(root: Path, statuses: list[str]) -> dict[str, object]:
    """Which statuses a row validates with, whether those rows are finished,
    what the mirror writes for a row the gateway no longer lists, and what
    the job queue writes for a lost job (its own words, unchanged)."""
    code = (
        "import json, sys\n"
        "import pydantic\n"
        "from roster import mirror, models\n"
        "accepted, finished = {}, []\n"
        "for s in json.loads(sys.argv[1]):\n"
        "    try:\n"
        "        seat = models.Seat.model_validate({'key': 'k', 'sessionId': 'i', 'status': s})\n"
        "    except pydantic.ValidationError:\n"
        "        accepted[s] = False\n"
        "        continue\n"
        "    accepted[s] = True\n"
        "    finished.append(seat.finished())\n"
        "cache = {'k': models.Seat.model_validate({'key': 'k', 'status': 'running'})}\n"
        "jobs = {'j': models.Job.model_validate({'jobId': 'j', 'status': 'running'})}\n"
        "print(json.dumps({'accepted': accepted, 'finished': finished,\n"
        "                  'expired': mirror.expire(cache, set())['k'].status,\n"
        "                  'job': mirror.give_up(jobs, set())['j'].status}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, json.dumps(statuses)], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))
