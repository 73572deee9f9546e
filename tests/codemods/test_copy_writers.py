"""A copy of a session row given a status writes it as the row's constructor
does: pydantic's `row.model_copy(update={"status": "killed"})`,
`attrs.evolve(row, status="killed")`, `dataclasses.replace(row, ...)` under
any alias and a NamedTuple's `row._replace(status=...)` keep the old name in
expand and take the new one in contract, where the row's class is built from
a session source (here in another module). The same copies of a job queue's
records are left as they are."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli, write_package

MODELS = '''from typing import NamedTuple

import attrs
from dataclasses import dataclass
from pydantic import BaseModel


class Row(BaseModel):
    key: str
    status: str


@attrs.define
class Live:
    key: str
    status: str


@dataclass
class Kept:
    key: str
    status: str


class Tup(NamedTuple):
    key: str
    status: str


def load(client):
    data = client.invoke("sessions_list", {})
    rows = data["sessions"]
    return (
        [Row(key=r["key"], status=r["status"]) for r in rows],
        [Live(r["key"], r["status"]) for r in rows],
        [Kept(r["key"], r["status"]) for r in rows],
        [Tup(r["key"], r["status"]) for r in rows],
    )
'''

ACTIONS = '''import dataclasses as dc
from dataclasses import replace as with_fields

import attrs

from .models import Kept, Live, Row, Tup


def stop(row: Row) -> Row:
    return row.model_copy(update={"status": "killed", "aborted": True})


def stop_live(s: Live) -> Live:
    return attrs.evolve(s, status="killed")


def lose(k: Kept) -> Kept:
    return with_fields(k, status="failed")


def expire(k: Kept) -> Kept:
    return dc.replace(k, status="timeout")


def finish(t: Tup) -> Tup:
    return t._replace(status="done")


LIVE: dict[str, Row] = {}


def stop_cached(key: str) -> Row:
    s = LIVE[key]
    return s.model_copy(update={"status": "killed"})
'''

JOBS = '''from dataclasses import dataclass, replace

import attrs
from pydantic import BaseModel


@dataclass
class Job:
    name: str
    status: str


@attrs.define
class Task:
    name: str
    status: str


class Build(BaseModel):
    name: str
    status: str


def gave_up(job: Job) -> Job:
    return replace(job, status="failed")


def timed_out(task: Task) -> Task:
    return attrs.evolve(task, status="timeout")


def built(build: Build) -> Build:
    return build.model_copy(update={"status": "done"})
'''

WHERE = "where `{}` is a `{}` built in crew/models.py:{} from `r[\"status\"]`, where `r` iterates `rows`, the " \
        "`sessions` of `data`, a `sessions_list` result"


def _tree(tmp_path: Path) -> Path:
    write_package(tmp_path, "crew", {"models.py": MODELS, "actions.py": ACTIONS, "jobs.py": JOBS})
    return tmp_path


def test_copies_of_session_rows_are_writers(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", "--phase", "contract", "--show-why", "--min-confidence", "possible", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    rule = "status-copy-writer [certain, rewrite]"
    assert scan.stdout.splitlines() == [
        f"crew/actions.py:10:45: {rule} 'killed' -> 'halted': the status of a copy of `row` made by "
        f"`.model_copy()`, {WHERE.format('row', 'Row', 34)}",
        f"crew/actions.py:14:35: {rule} 'killed' -> 'halted': the status of a copy of `s` made by "
        f"`attrs.evolve()`, {WHERE.format('s', 'Live', 35)}",
        f"crew/actions.py:18:34: {rule} 'failed' -> 'interrupted': the status of a copy of `k` made by "
        f"`dataclasses.replace()`, {WHERE.format('k', 'Kept', 36)}",
        f"crew/actions.py:22:33: {rule} 'timeout' -> 'waiting_for_response': the status of a copy of `k` made by "
        f"`dataclasses.replace()`, {WHERE.format('k', 'Kept', 36)}",
        f"crew/actions.py:26:30: {rule} 'done' -> 'agent_responded': the status of a copy of `t` made by "
        f"`._replace()`, {WHERE.format('t', 'Tup', 37)}",
        f"crew/actions.py:34:43: {rule} 'killed' -> 'halted': the status of a copy of `s` made by "
        "`.model_copy()`, where `s`, `LIVE` holds a `Row` built in crew/models.py:34 from `r[\"status\"]`, where `r` "
        "iterates `rows`, the `sessions` of `data`, a `sessions_list` result",
        "4 files scanned, 6 findings: 6 to rewrite, 0 to review (contract phase)",
    ]


def test_after_expand_and_contract(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    before = {"stop": "killed", "stop_live": "killed", "lose": "failed", "expire": "timeout", "finish": "done",
              "cached": "killed"}
    assert _behaviour(root) == before
    done = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    # Expand keeps writing the old names: an old gateway may read them.
    assert [(root / "crew" / n).read_text("utf-8") for n in ("models.py", "actions.py", "jobs.py")] == [
        MODELS, ACTIONS, JOBS]
    fresh = tmp_path.parent / f"{tmp_path.name}-fresh"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".migrator"))
    for tree in (root, fresh):
        done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=tree)
        assert done.returncode == 0, done.stderr
        contracted = (ACTIONS.replace('"status": "killed"', '"status": "halted"')
                      .replace('status="killed"', 'status="halted"').replace('status="failed"', 'status="interrupted"')
                      .replace('status="timeout"', 'status="waiting_for_response"')
                      .replace('status="done"', 'status="agent_responded"'))
        assert [(tree / "crew" / n).read_text("utf-8") for n in ("models.py", "actions.py", "jobs.py")] == [
            MODELS, contracted, JOBS]
    assert _behaviour(root) == {"stop": "halted", "stop_live": "halted", "lose": "interrupted",
                                "expire": "waiting_for_response", "finish": "agent_responded", "cached": "halted"}


def _behaviour(root: Path) -> dict[str, str]:
    """The status each copy is given; the job queue's copies are checked to
    write what they always wrote."""
    code = (
        "import json\n"
        "from crew import actions, jobs, models\n"
        "assert jobs.gave_up(jobs.Job('j', 'running')).status == 'failed'\n"
        "assert jobs.timed_out(jobs.Task('j', 'running')).status == 'timeout'\n"
        "assert jobs.built(jobs.Build(name='j', status='running')).status == 'done'\n"
        "print(json.dumps({\n"
        "    'stop': actions.stop(models.Row(key='k', status='running')).status,\n"
        "    'stop_live': actions.stop_live(models.Live('k', 'running')).status,\n"
        "    'lose': actions.lose(models.Kept('k', 'running')).status,\n"
        "    'expire': actions.expire(models.Kept('k', 'running')).status,\n"
        "    'finish': actions.finish(models.Tup('k', 'running')).status,\n"
        "    'cached': actions.LIVE.setdefault('k', models.Row(key='k', status='running')) and "
        "actions.stop_cached('k').status,\n"
        "}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))
