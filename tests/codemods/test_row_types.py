"""A typed library that never calls OpenClaw itself: a ``TypedDict`` with
the fields of a session row (``sessionId``, ``updatedAt``, ``status``), a
record class its class method builds from such a row, and a table of labels
looked up with the record's status. The shape of the row is the evidence (the
manifest's ``gateway-rows``), not the names: the library's own job type has a
``status`` and an ``updatedAt`` too, but no ``sessionId``, and stays as it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli, write_package

SHAPES = '''from typing import Literal, NotRequired, TypedDict

State = Literal["queued", "running", "done", "killed"]
JobState = Literal["pending", "done", "failed"]


class Row(TypedDict):
    sessionId: str
    updatedAt: int
    status: NotRequired[State]


class JobItem(TypedDict):
    jobId: str
    updatedAt: int
    status: JobState
'''

MODEL = '''from dataclasses import dataclass

from .shapes import JobItem, Row


@dataclass
class Entry:
    sid: str
    status: str | None = None

    @classmethod
    def parse(cls, row: Row) -> "Entry":
        return cls(row["sessionId"], row.get("status"))

    def over(self) -> bool:
        return self.status in ("done", "killed")


@dataclass
class Job:
    job_id: str
    status: str

    @classmethod
    def parse(cls, item: JobItem) -> "Job":
        return cls(item["jobId"], item["status"])

    def broken(self) -> bool:
        return self.status == "failed"
'''

LABELS = '''from .model import Entry, Job

LABELS = {"done": "answered", "killed": "stopped"}
JOB_LABELS = {"done": "exported", "failed": "broken"}


def label(entry: Entry) -> str:
    return LABELS.get(entry.status or "", "?")


def job_label(job: Job) -> str:
    return JOB_LABELS.get(job.status, "?")
'''

EXPANDED = {
    "shapes.py": SHAPES.replace('"done", "killed"]', '"done", "agent_responded", "killed", "halted"]'),
    "model.py": MODEL.replace('("done", "killed")', '("done", "agent_responded", "killed", "halted")'),
    "labels.py": LABELS.replace(
        '{"done": "answered", "killed": "stopped"}',
        '{"done": "answered", "agent_responded": "answered", "killed": "stopped", "halted": "stopped"}'),
}
CONTRACTED = {
    "shapes.py": SHAPES.replace('"done", "killed"]', '"agent_responded", "halted"]'),
    "model.py": MODEL.replace('("done", "killed")', '("agent_responded", "halted")'),
    "labels.py": LABELS.replace(
        '{"done": "answered", "killed": "stopped"}', '{"agent_responded": "answered", "halted": "stopped"}'),
}

BEHAVIOUR = '''
from sesskit.labels import job_label, label
from sesskit.model import Entry, Job
for status in {statuses}:
    entry = Entry.parse({{"sessionId": "s1", "updatedAt": 1, "status": status}})
    print(status, entry.over(), label(entry))
job = Job.parse({{"jobId": "j1", "updatedAt": 1, "status": "failed"}})
print(job.broken(), job_label(job), job_label(Job("j2", "done")))
'''


def _tree(root: Path) -> Path:
    return write_package(root, "sesskit", {"shapes.py": SHAPES, "model.py": MODEL, "labels.py": LABELS})


def _run(root: Path, statuses: list[str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", BEHAVIOUR.format(statuses=statuses)],
        cwd=root, capture_output=True, text=True, check=True,
    )
    return done.stdout.splitlines()


def test_a_session_row_type_ties_its_library_to_openclaw(tmp_path: Path) -> None:
    package = _tree(tmp_path)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "sesskit/labels.py:3:11: status-dispatch [certain, rewrite] 'done' -> 'agent_responded'",
        "sesskit/labels.py:3:31: status-dispatch [certain, rewrite] 'killed' -> 'halted'",
        "sesskit/model.py:16:32: status-membership [certain, rewrite] 'done' -> 'agent_responded'",
        "sesskit/model.py:16:40: status-membership [certain, rewrite] 'killed' -> 'halted'",
        "sesskit/shapes.py:3:38: status-literal-type [certain, rewrite] 'done' -> 'agent_responded'",
        "sesskit/shapes.py:3:46: status-literal-type [certain, rewrite] 'killed' -> 'halted'",
        "to review (1):",
        # Nothing ties the job records to OpenClaw: listed, never rewritten.
        "sesskit/model.py:29:31: status-compare [possible, review] 'failed' -> 'interrupted'",
        "4 files scanned, 7 findings: 6 to rewrite, 1 to review (expand phase)",
    ]
    why = run_cli("scan", ".", "--show-why", cwd=tmp_path).stdout
    assert "a `Row`, whose fields (`sessionId`, `updatedAt`, `status`) are a session row's" in why, why
    before = _run(tmp_path, ["done", "killed", "running"])
    done = run_cli("apply", ".", "--write", "--phase", "expand", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name, text in EXPANDED.items():
        assert (package / name).read_text("utf-8") == text, name
    # Expand: the old names behave as before, and the new ones as they did.
    assert _run(tmp_path, ["done", "killed", "running"]) == before
    assert _run(tmp_path, ["agent_responded", "halted"]) == [
        "agent_responded True answered", "halted True stopped", "True broken exported"]
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name, text in CONTRACTED.items():
        assert (package / name).read_text("utf-8") == text, name
    assert _run(tmp_path, ["agent_responded", "halted", "running"]) == [
        "agent_responded True answered", "halted True stopped", "running False ?", "True broken exported"]


def test_contract_from_the_original_tree_gives_the_same_bytes(tmp_path: Path) -> None:
    package = _tree(tmp_path)
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name, text in CONTRACTED.items():
        assert (package / name).read_text("utf-8") == text, name


def test_the_same_words_of_a_record_without_the_session_shape_stay(tmp_path: Path) -> None:
    """A run record with `runId`, `sessionKey` and an `updatedAt` (an
    `agents_wait` child, a job queue's item) is no session row."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "runs"\n', "utf-8")
    text = '''from typing import Literal, TypedDict

RunStatus = Literal["done", "failed", "killed", "timeout"]


class Child(TypedDict):
    runId: str
    sessionKey: str
    updatedAt: int
    status: RunStatus


def finished(child: Child) -> bool:
    return child["status"] in ("done", "killed")
'''
    (tmp_path / "runs.py").write_text(text, "utf-8")
    for phase in ("expand", "contract"):
        done = run_cli("apply", ".", "--write", "--phase", phase, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "runs.py").read_text("utf-8") == text
