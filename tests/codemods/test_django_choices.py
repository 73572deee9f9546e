"""A Django enumeration (`TextChoices`, members `NAME = "value", "Label"`)
giving the choices of a model's status field, in a models module that never
names OpenClaw: a sync module stores `sessions_list` rows in that model and
keeps only the statuses the enumeration knows (`set(Status.values)`). expand
adds a member per new name, so a new gateway's rows keep their status;
contract renames the values and drops those members. The model's own job
states, the same words in another enumeration, stay. The project's stand-in
of Django's enumeration type (an `Enum` whose metaclass gives `.values` and
`.choices`) lets the migrated modules run here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

CHOICES = '''import enum


class ChoicesMeta(enum.EnumMeta):
    @property
    def values(cls):
        return [m.value for m in cls]

    @property
    def choices(cls):
        return [(m.value, m.label) for m in cls]


class TextChoices(str, enum.Enum, metaclass=ChoicesMeta):
    def __new__(cls, value, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class CharField:
    def __init__(self, choices=()):
        self.choices = choices


class Manager:
    def __init__(self):
        self.rows = {}

    def update_or_create(self, key, defaults):
        self.rows[key] = defaults
'''

MODELS = '''from .django import CharField, Manager, TextChoices


class SeatStatus(TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    KILLED = "killed", "Stopped"


class Seat:
    status = CharField(choices=SeatStatus.choices)
    objects = Manager()


class Job:
    class State(TextChoices):
        QUEUED = "queued", "Queued"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    state = CharField(choices=State.choices)
'''

SYNC = '''from .models import Seat, SeatStatus

KNOWN = set(SeatStatus.values)


def pull(client):
    for row in client.invoke("sessions_list", {})["sessions"]:
        status = row.get("status")
        Seat.objects.update_or_create(key=row["key"], defaults={"status": status if status in KNOWN else None})
'''

EXPANDED = MODELS.replace('    DONE = "done", "Done"\n    KILLED = "killed", "Stopped"\n',
                          '    DONE = "done", "Done"\n    AGENT_RESPONDED = "agent_responded", "Done"\n'
                          '    KILLED = "killed", "Stopped"\n    HALTED = "halted", "Stopped"\n', 1)
CONTRACTED = MODELS.replace('    DONE = "done", "Done"\n    KILLED = "killed", "Stopped"\n',
                            '    DONE = "agent_responded", "Done"\n    KILLED = "halted", "Stopped"\n', 1)

RUN = '''import sys
sys.path.insert(0, sys.argv[1])
from deck import models, sync

names = sys.argv[2].split(",")
class Client:
    def invoke(self, tool, args):
        return {"sessions": [{"key": f"s{i}", "status": n} for i, n in enumerate(names)]}

sync.pull(Client())
print([r["status"] for r in models.Seat.objects.rows.values()], models.Job.State.values,
      models.SeatStatus("running").label)
'''
JOBS = "['queued', 'done', 'failed'] Running"


def _tree(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "deck"\n', "utf-8")
    pkg = root / "deck"
    pkg.mkdir()
    for name, text in {"__init__": "", "django": CHOICES, "models": MODELS, "sync": SYNC}.items():
        (pkg / f"{name}.py").write_text(text, "utf-8")
    return root


def _stored(root: Path, names: str) -> str:
    ran = subprocess.run([sys.executable, "-c", RUN, str(root), names], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.strip()


def test_the_choices_of_a_session_model_are_found(tmp_path: Path) -> None:
    root = _tree(tmp_path / "deck")
    scan = run_cli("scan", ".", "--show-why", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert [line.split(": ", 2)[:2] for line in scan.stdout.splitlines()[:-1]] == [
        ["deck/models.py:6:12", "status-enum [certain, rewrite] 'done' -> 'agent_responded'"],
        ["deck/models.py:7:14", "status-enum [certain, rewrite] 'killed' -> 'halted'"],
    ]
    assert "Enum `SeatStatus` gives the choices of `Seat.status`, a `Seat` row written in deck/sync.py:9" \
        in scan.stdout


def test_expand_keeps_new_names_and_contract_renames(tmp_path: Path) -> None:
    root = _tree(tmp_path / "deck")
    assert _stored(root, "done,killed,running") == f"['done', 'killed', 'running'] {JOBS}"
    assert _stored(root, "agent_responded,halted,running") == f"[None, None, 'running'] {JOBS}"
    done = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "deck" / "models.py").read_text("utf-8") == EXPANDED
    assert (root / "deck" / "sync.py").read_text("utf-8") == SYNC
    assert _stored(root, "done,killed,running") == f"['done', 'killed', 'running'] {JOBS}"
    assert _stored(root, "agent_responded,halted,running") == f"['agent_responded', 'halted', 'running'] {JOBS}"
    again = run_cli("scan", ".", cwd=root)
    assert again.returncode == 0 and "status-enum: expanded" in again.stdout, again.stdout
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "deck" / "models.py").read_text("utf-8") == CONTRACTED
    assert _stored(root, "agent_responded,halted,running") == f"['agent_responded', 'halted', 'running'] {JOBS}"
    alone = _tree(tmp_path / "alone")
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=alone)
    assert done.returncode == 0, done.stderr
    assert (alone / "deck" / "models.py").read_text("utf-8") == CONTRACTED


def test_an_enumeration_no_session_model_uses_stays(tmp_path: Path) -> None:
    """The same models, stored from `agents_wait` children: another vocabulary."""
    root = _tree(tmp_path / "deck")
    (root / "deck" / "sync.py").write_text(
        SYNC.replace('client.invoke("sessions_list", {})["sessions"]', 'client.invoke("agents_wait", {})["children"]'),
        "utf-8")
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "deck" / "models.py").read_text("utf-8") == MODELS
