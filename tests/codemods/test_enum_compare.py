"""A session status compared with a member of a str-valued `SessionStatus`
defined in another module (`r["status"] == SessionStatus.DONE`): between
the phases the member still equals only the old name, so expand writes the
new name beside it in the test, and contract (which gives the member the new
name) drops it again. The module that tests holds no old name in quotes:
the tree's facts make it a file to process. `JobState`, compared with a
job's state only, stays as it is; so do the tests of an enum that another
vocabulary uses too (reviewed, not migrated)."""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.conftest import apply_phase, run_cli, write_package

FILES = {
    "status.py": '''from enum import Enum


class SessionStatus(str, Enum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    TIMEOUT = "timeout"
''',
    "jobs.py": '''from enum import Enum


class JobState(str, Enum):
    DONE = "done"
    FAILED = "failed"
''',
    "watch.py": '''from .jobs import JobState
from .status import SessionStatus


def triage(gw):
    out = {}
    for row in gw.sessions_list()["sessions"]:
        if row.get("status") == SessionStatus.DONE:
            out[row["key"]] = "idle"
        elif SessionStatus.FAILED.value == row["status"]:
            out[row["key"]] = "retry"
        elif row["status"] in {SessionStatus.TIMEOUT, SessionStatus.RUNNING}:
            out[row["key"]] = "wait"
    return out


def finished(jobs):
    return [j["id"] for j in jobs if j["state"] in (JobState.DONE, JobState.FAILED)]
''',
}

HOOK = ('\n\n    @classmethod\n    def _missing_(cls, value):\n        return {\n            "agent_responded": cls.DONE,\n'
        '            "interrupted": cls.FAILED,\n            "waiting_for_response": cls.TIMEOUT,\n        }.get(value)\n')
EXPANDED_STATUS = FILES["status.py"].rstrip("\n") + HOOK
CONTRACTED_STATUS = (FILES["status.py"].replace('"done"', '"agent_responded"').replace('"failed"', '"interrupted"')
                     .replace('"timeout"', '"waiting_for_response"'))
EXPANDED_WATCH = (FILES["watch.py"]
                  .replace('== SessionStatus.DONE:', 'in (SessionStatus.DONE, "agent_responded"):')
                  .replace('SessionStatus.FAILED.value == row["status"]',
                           'row["status"] in (SessionStatus.FAILED.value, "interrupted")')
                  .replace('{SessionStatus.TIMEOUT, SessionStatus.RUNNING}',
                           '{SessionStatus.TIMEOUT, "waiting_for_response", SessionStatus.RUNNING}'))


def test_scan_names_each_member_test_of_a_session_status(tmp_path: Path) -> None:
    write_package(tmp_path, "fleet", FILES)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "fleet/status.py:6:12: status-enum [certain, rewrite] 'done' -> 'agent_responded'",
        "fleet/status.py:7:14: status-enum [certain, rewrite] 'failed' -> 'interrupted'",
        "fleet/status.py:8:15: status-enum [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "fleet/watch.py:8:33: status-enum-compare [certain, rewrite] 'done' -> 'agent_responded'",
        "fleet/watch.py:10:14: status-enum-compare [certain, rewrite] 'failed' -> 'interrupted'",
        "fleet/watch.py:12:32: status-enum-compare [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "4 files scanned, 6 findings: 6 to rewrite, 0 to review (expand phase)",
    ]


def test_expand_then_contract_give_what_contract_alone_gives(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    package = write_package(tmp_path / "a", "fleet", FILES)
    apply_phase(tmp_path / "a", "expand", package, FILES, {"status.py": EXPANDED_STATUS, "watch.py": EXPANDED_WATCH})
    again = run_cli("scan", ".", cwd=tmp_path / "a")
    assert again.stdout.splitlines()[-1] == "4 files scanned, 0 findings: 0 to rewrite, 0 to review (expand phase)"
    # The member compared first comes second, as a test with a literal does.
    contracted = {"status.py": CONTRACTED_STATUS, "watch.py": FILES["watch.py"].replace(
        'SessionStatus.FAILED.value == row["status"]', 'row["status"] == SessionStatus.FAILED.value')}
    apply_phase(tmp_path / "a", "contract", package, FILES, contracted)
    alone = write_package(tmp_path / "b", "fleet", FILES)
    apply_phase(tmp_path / "b", "contract", alone, FILES, contracted)
    done = run_cli("scan", ".", "--phase", "contract", cwd=tmp_path / "a")
    assert done.stdout.splitlines() == ["4 files scanned, 0 findings: 0 to rewrite, 0 to review (contract phase)"]


class _Gateway:
    def __init__(self, statuses: dict[str, str]) -> None:
        self.rows = [{"key": key, "status": status} for key, status in statuses.items()]

    def sessions_list(self) -> dict[str, Any]:
        return {"sessions": self.rows}


@pytest.fixture
def importable(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m == "fleet" or m.startswith("fleet.")]:
        del sys.modules[name]


def _triage(root: Path, statuses: dict[str, str]) -> dict[str, str]:
    for name in [m for m in sys.modules if m == "fleet" or m.startswith("fleet.")]:
        del sys.modules[name]
    shutil.rmtree(root / "fleet" / "__pycache__", ignore_errors=True)
    watch = importlib.import_module("fleet.watch")
    result: dict[str, str] = watch.triage(_Gateway(statuses))
    return result


def test_the_expanded_package_reads_old_and_new_names_alike(importable: Path) -> None:
    write_package(importable, "fleet", FILES)
    old = {"a": "done", "b": "failed", "c": "timeout", "d": "running"}
    new = {"a": "agent_responded", "b": "interrupted", "c": "waiting_for_response", "d": "running"}
    assert _triage(importable, old) == {"a": "idle", "b": "retry", "c": "wait", "d": "wait"}
    assert _triage(importable, new) == {"d": "wait"}  # before: the new names fall through
    assert run_cli("apply", ".", "--write", "--phase", "expand", cwd=importable).returncode == 0
    assert _triage(importable, old) == _triage(importable, new) == {"a": "idle", "b": "retry", "c": "wait", "d": "wait"}
    assert run_cli("apply", ".", "--write", "--phase", "contract", cwd=importable).returncode == 0
    assert _triage(importable, new) == {"a": "idle", "b": "retry", "c": "wait", "d": "wait"}


def test_an_enum_another_vocabulary_also_uses_is_reviewed_and_its_tests_stay(tmp_path: Path) -> None:
    files = {**FILES, "queue.py": '''from .status import SessionStatus


def settled(jobs):
    return [j for j in jobs if j["state"] == SessionStatus.DONE]
'''}
    package = write_package(tmp_path, "fleet", files)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "to review (3):",
        "fleet/status.py:6:12: status-enum [possible, review] 'done' -> 'agent_responded'",
        "fleet/status.py:7:14: status-enum [possible, review] 'failed' -> 'interrupted'",
        "fleet/status.py:8:15: status-enum [possible, review] 'timeout' -> 'waiting_for_response'",
        "5 files scanned, 3 findings: 0 to rewrite, 3 to review (expand phase)",
    ]
    apply_phase(tmp_path, "expand", package, files, {})


def test_a_run_on_one_file_of_a_plain_project_uses_the_whole_project(tmp_path: Path) -> None:
    # As the pre-commit hook runs, in a project whose pyproject.toml does not configure migrator.
    write_package(tmp_path, "fleet", FILES)
    whole = run_cli("scan", ".", cwd=tmp_path).stdout.splitlines()[:-1]
    for file in ("fleet/status.py", "fleet/watch.py"):
        alone = run_cli("scan", file, cwd=tmp_path)
        assert alone.returncode == 1, alone.stderr
        assert alone.stdout.splitlines() == [line for line in whole if line.startswith(file)] + [
            "1 file scanned, 3 findings: 3 to rewrite, 0 to review (expand phase)"]


CHOICES = '''from django.db import models


class SessionStatus(models.TextChoices):
    RUNNING = "running"
    DONE = "done"


class Session(models.Model):
    key = models.CharField(max_length=80)
    status = models.CharField(max_length=32, choices=SessionStatus.choices)


def sync(gw):
    for row in gw.sessions_list()["sessions"]:
        Session.objects.update_or_create(key=row["key"], defaults={"status": row["status"]})


def finished(gw):
    return [r for r in gw.sessions_list()["sessions"] if SessionStatus.DONE == r["status"]]


def by_attribute(rows):
    return [row for row in rows if row.status != SessionStatus.DONE]
'''


def test_a_django_enumeration_s_member_tests_give_contract_s_bytes_either_way(tmp_path: Path) -> None:
    # Expand adds a member to the enumeration; the test of a member must not
    # take it for a value the enumeration had of its own. A status read as an
    # attribute (`row.status`) is a subject, not a member.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    files = {"models.py": CHOICES}
    package = write_package(tmp_path / "a", "fleet", files)
    expanded = CHOICES.replace('    DONE = "done"\n', '    DONE = "done"\n    AGENT_RESPONDED = "agent_responded"\n').replace(
        'SessionStatus.DONE == r["status"]', 'r["status"] in (SessionStatus.DONE, "agent_responded")').replace(
        'row.status != SessionStatus.DONE', 'row.status not in (SessionStatus.DONE, "agent_responded")')
    apply_phase(tmp_path / "a", "expand", package, files, {"models.py": expanded})
    contracted = CHOICES.replace('DONE = "done"', 'DONE = "agent_responded"').replace(
        'SessionStatus.DONE == r["status"]', 'r["status"] == SessionStatus.DONE')
    apply_phase(tmp_path / "a", "contract", package, files, {"models.py": contracted})
    alone = write_package(tmp_path / "b", "fleet", files)
    apply_phase(tmp_path / "b", "contract", alone, files, {"models.py": contracted})


def test_paths_of_two_plain_projects_each_use_their_own_project_in_either_order(tmp_path: Path) -> None:
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        write_package(tmp_path / name, "fleet", FILES)
    paths = ["one/fleet/watch.py", "two/fleet/jobs.py"]
    first = run_cli("scan", *paths, cwd=tmp_path)
    second = run_cli("scan", *reversed(paths), cwd=tmp_path)
    assert (first.returncode, second.returncode) == (1, 1)
    assert first.stdout == second.stdout
    assert first.stdout.splitlines()[-1] == "2 files scanned, 3 findings: 3 to rewrite, 0 to review (expand phase)"
