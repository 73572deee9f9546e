"""``migrator rollback``: list the runs, step back one run at a time, show a
conflict's diff and override it with ``--force``, print paths as ``apply``
prints them, and tell "nothing to roll back" from an unreadable input."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import run_cli

OLD = b'data = invoke("sessions_list")\nfor row in data["sessions"]:\n    if row["status"] == "done":\n        pass\n'
EXPAND = OLD.replace(b'== "done"', b'in ("done", "agent_responded")')
CONTRACT = OLD.replace(b'== "done"', b'== "agent_responded"')


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.migrator]\n")
    (project / "src" / "jobs.py").write_bytes(OLD)
    return project


def _run_id(stderr: str) -> str:
    found = re.search(r"; journal (\S+) in ", stderr)
    assert found, stderr
    return found.group(1)


def test_list_then_step_back_one_run_at_a_time(tmp_path: Path) -> None:
    project = _project(tmp_path)
    jobs = project / "src" / "jobs.py"
    first = run_cli("apply", ".", "--write", "--phase", "expand", cwd=project)
    second = run_cli("apply", ".", "--write", "--phase", "contract", cwd=project)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert jobs.read_bytes() == CONTRACT
    listed = run_cli("rollback", "--list", cwd=project)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [_run_id(first.stderr), _run_id(second.stderr)]
    assert re.fullmatch(r"\S+  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  1 file  expand  \.", lines[0]), lines[0]
    assert lines[1].split()[2:] == ["1", "file", "contract", "."]

    back = run_cli("rollback", cwd=project / "src")  # found from below the project root too
    assert back.returncode == 0, back.stderr
    assert "restored: jobs.py" in back.stderr.splitlines()  # relative to where it runs, as apply prints
    assert jobs.read_bytes() == EXPAND
    again = run_cli("rollback", cwd=project)
    assert again.returncode == 0, again.stderr
    assert f"rolled back {_run_id(first.stderr)}: 1 restored, 0 left as they are" in again.stderr
    assert jobs.read_bytes() == OLD
    assert run_cli("rollback", "--list", cwd=project).stdout.count("rolled back") == 2
    done = run_cli("rollback", cwd=project)
    assert done.returncode == 2
    assert done.stderr.startswith("migrator: error: nothing to roll back: every run in ")


def test_a_conflict_shows_its_diff_and_force_restores(tmp_path: Path) -> None:
    project = _project(tmp_path)
    jobs = project / "src" / "jobs.py"
    assert run_cli("apply", ".", "--write", cwd=project).returncode == 0
    edited = jobs.read_bytes() + b"# edited by hand\n"
    jobs.write_bytes(edited)
    refused = run_cli("rollback", cwd=project)
    assert refused.returncode == 3
    assert ("conflict: src/jobs.py (changed since the run; --force restores the original anyway)"
            in refused.stderr.splitlines())
    assert "-# edited by hand\n" in refused.stdout and '+    if row["status"] == "done":\n' in refused.stdout
    assert jobs.read_bytes() == edited
    forced = run_cli("rollback", "--force", cwd=project)
    assert forced.returncode == 0, forced.stderr
    assert "restored: src/jobs.py (forced over changes made since the run)" in forced.stderr.splitlines()
    assert jobs.read_bytes() == OLD


def test_no_journal_is_not_an_unreadable_input(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = run_cli("rollback", cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith("migrator: error: nothing to roll back: no journal in ")
    assert "Traceback" not in result.stderr
    listed = run_cli("rollback", "--list", cwd=project)
    assert listed.returncode == 0 and listed.stdout == "" and "no runs journalled" in listed.stderr
    missing = run_cli("rollback", "nowhere", cwd=project)
    assert missing.returncode == 2 and "nowhere" in missing.stderr


def test_a_state_dir_without_a_journal_never_undoes_the_project_above_it(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "openclaw-state").mkdir()
    assert run_cli("apply", ".", "--write", cwd=project).returncode == 0
    result = run_cli("rollback", "--state-dir", "openclaw-state", cwd=project)
    assert result.returncode == 2
    assert "nothing to roll back: no journal in " in result.stderr
    assert (project / "src" / "jobs.py").read_bytes() == EXPAND
