"""Django-style ORM lookups on a model whose status field is stored from
session rows: a sync module writes `sessions_list` rows into one model
through its manager, a view module filters it by status (`status="killed"`,
`status__in=[...]`, on a queryset bound to a name first). The project's
other model, filled from `agents_wait` children with the same words, and a
job model nothing fills from a session, keep their lookups. A stand-in
manager of the project holds rows in a list and filters them by keyword
lookups as the ORM does, so the migrated views run here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

STORE = '''class Manager:
    """Rows in a list, filtered by keyword lookups (`field`, `field__in`)."""

    def __init__(self):
        self.rows = []

    def update_or_create(self, defaults=None, **keys):
        self.rows.append({**keys, **(defaults or {})})

    def create(self, **fields):
        self.rows.append(fields)

    def all(self):
        return self

    def filter(self, **lookups):
        def match(row, name, wanted):
            field, _, op = name.partition("__")
            return row.get(field) in wanted if op == "in" else row.get(field) == wanted

        return sorted(r["key"] for r in self.rows if all(match(r, n, w) for n, w in lookups.items()))
'''

MODELS = '''from .store import Manager


class Seat:
    objects = Manager()


class ChildRun:
    objects = Manager()


class Job:
    objects = Manager()
'''

SYNC = '''from .models import ChildRun, Job, Seat


def pull(client):
    for row in client.invoke("sessions_list", {})["sessions"]:
        Seat.objects.update_or_create(key=row["key"], defaults={"status": row["status"]})


def children(client):
    for child in client.invoke("agents_wait", {})["children"]:
        ChildRun.objects.create(key=child["key"], status=child["status"])


def enqueue(key, state):
    Job.objects.create(key=key, status=state)
'''

VIEWS = '''from .models import ChildRun, Job, Seat


def stopped():
    return Seat.objects.filter(status="killed")


def troubled():
    qs = Seat.objects.all()
    return qs.filter(status__in=["failed", "timeout"])


def late_children():
    return ChildRun.objects.filter(status="timeout")


def finished_jobs():
    return Job.objects.filter(status__in=["done", "failed"])
'''

EXPANDED = VIEWS.replace('filter(status="killed")', 'filter(status__in=("killed", "halted"))').replace(
    'status__in=["failed", "timeout"]', 'status__in=["failed", "interrupted", "timeout", "waiting_for_response"]')
CONTRACTED = VIEWS.replace('filter(status="killed")', 'filter(status="halted")').replace(
    'status__in=["failed", "timeout"]', 'status__in=["interrupted", "waiting_for_response"]')

RUN = '''import sys
sys.path.insert(0, sys.argv[1])
from deck import sync, views

names = sys.argv[2].split(",")
class Client:
    def invoke(self, tool, args):
        if tool == "sessions_list":
            return {"sessions": [{"key": f"s{i}", "status": n} for i, n in enumerate(names)]}
        return {"children": [{"key": f"c{i}", "status": n} for i, n in enumerate(["timeout", "done"])]}

sync.pull(Client())
sync.children(Client())
sync.enqueue("j0", "done")
sync.enqueue("j1", "failed")
print(views.stopped(), views.troubled(), views.late_children(), views.finished_jobs())
'''
OLD_NAMES = "killed,failed,timeout,running"
NEW_NAMES = "halted,interrupted,waiting_for_response,running"
ANSWER = "['s0'] ['s1', 's2'] ['c0'] ['j0', 'j1']"


def _tree(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "deck"\n', "utf-8")
    pkg = tmp_path / "deck"
    pkg.mkdir()
    for name, text in {"__init__": "", "store": STORE, "models": MODELS, "sync": SYNC, "views": VIEWS}.items():
        (pkg / f"{name}.py").write_text(text, "utf-8")
    return tmp_path


def _views(root: Path, names: str) -> str:
    ran = subprocess.run([sys.executable, "-c", RUN, str(root), names], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.strip()


def test_lookups_on_the_session_model_are_found(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", "--show-why", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    why = ("an ORM lookup on `Seat.status`, a `Seat` row written in deck/sync.py:6 with `row[\"status\"]`, "
           "where `row` iterates the `sessions` of a `sessions_list` result")
    lines = [line for line in scan.stdout.splitlines() if "views.py" in line]
    assert [line.split(": ", 1)[0] for line in lines] == ["deck/views.py:5:39", "deck/views.py:10:34",
                                                          "deck/views.py:10:44"]
    assert all("status-orm-lookup [certain, rewrite]" in line for line in lines)
    assert lines[0].endswith(why), lines[0]


def test_expand_then_contract_keep_the_views_working(tmp_path: Path) -> None:
    root = _tree(tmp_path / "migrated")
    before = {p.name: p.read_bytes() for p in (root / "deck").glob("*.py")}
    assert _views(root, OLD_NAMES) == ANSWER
    done = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "deck" / "views.py").read_text("utf-8") == EXPANDED
    assert _views(root, OLD_NAMES) == ANSWER
    assert _views(root, NEW_NAMES) == ANSWER
    again = run_cli("scan", ".", cwd=root)
    assert "status-orm-lookup: expanded" in again.stdout and "status-orm-lookup [" not in again.stdout
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "deck" / "views.py").read_text("utf-8") == CONTRACTED
    assert _views(root, NEW_NAMES) == ANSWER
    # Contract alone writes the same bytes as contract after expand.
    alone = _tree(tmp_path / "contracted")
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=alone)
    assert done.returncode == 0, done.stderr
    assert (alone / "deck" / "views.py").read_text("utf-8") == CONTRACTED
    # The other modules are untouched (the writers hold no literal status).
    for name, data in before.items():
        if name != "views.py":
            assert (root / "deck" / name).read_bytes() == data, name


def test_other_vocabularies_keep_their_lookups(tmp_path: Path) -> None:
    """Without the session writer, nothing makes `Seat` a session model."""
    root = _tree(tmp_path)
    sync = root / "deck" / "sync.py"
    sync.write_text(SYNC.replace('client.invoke("sessions_list", {})["sessions"]', "client.rows()"), "utf-8")
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "deck" / "views.py").read_text("utf-8") == VIEWS
