"""A write over several projects, made from their common parent, is one run
journalled in each project; ``migrator rollback`` without paths from that
parent finds every journal below it and undoes the run as one, steps back a
run at a time, leaves a file changed since as it is, and never reads a
journal behind a symlink, in ``node_modules`` or in a virtualenv."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import run_cli, snapshot
from datahelpers import DB_REL, db_content, make_state

# CRLF line ends and a trailing space: bytes a text round trip would lose.
POLL = (b'import openclaw\r\n\r\n\r\ndef finished(client):  \r\n    rows = client.sessions_list()\r\n'
        b'    return [r for r in rows if r["status"] == "done"]\r\n')
EXPANDED = POLL.replace(b'== "done"', b'in ("done", "agent_responded")')
CONTRACTED = POLL.replace(b'== "done"', b'== "agent_responded"')


def _project(directory: Path, phase: str = "") -> Path:
    directory.mkdir(parents=True)
    (directory / "pyproject.toml").write_text(f'[tool.migrator]\n{phase and f"phase = {phase!r}"}\n'.replace("'", '"'))
    (directory / "poll.py").write_bytes(POLL)
    return directory


def _tree(root: Path) -> Path:
    """Projects ``a`` (contract) and ``b`` (expand) under a folder with no configuration."""
    _project(root / "a", "contract")
    _project(root / "b", "expand")
    return root


def _run_id(stderr: str) -> str:
    found = re.search(r"; journal (\S+) in ", stderr)
    assert found, stderr
    return found.group(1)


def test_rollback_from_the_parent_undoes_the_whole_run_byte_for_byte(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    before = snapshot(root)
    written = run_cli("apply", "--write", "a", "b", cwd=root)
    assert written.returncode == 0, written.stderr
    run_id = _run_id(written.stderr)
    assert written.stderr.splitlines() == [
        "rewrote a/poll.py", "rewrote b/poll.py",
        f"2 files rewritten; journal {run_id} in a/.migrator/journal, b/.migrator/journal (undo the whole run: "
        "`migrator rollback`). 2 files scanned, 2 findings: 2 to rewrite, 0 to review (contract phase in a, "
        "expand phase in b)",
    ]
    assert (root / "a" / "poll.py").read_bytes() == CONTRACTED and (root / "b" / "poll.py").read_bytes() == EXPANDED

    listed = run_cli("rollback", "--list", cwd=root)
    assert listed.returncode == 0 and listed.stderr == ""
    fields = [line.split("  ") for line in listed.stdout.splitlines()]
    # id, time, files, phase, where: one run, in both projects
    assert [[f[0], *f[2:]] for f in fields] == [[run_id, "1 file", "contract", "a"], [run_id, "1 file", "expand", "b"]]

    undone = run_cli("rollback", cwd=root)
    assert (undone.returncode, undone.stdout) == (0, "")
    assert undone.stderr.splitlines() == ["restored: a/poll.py", "restored: b/poll.py",
                                          f"rolled back {run_id}: 2 restored, 0 left as they are"]
    assert snapshot(root) == before

    again = run_cli("rollback", cwd=root)
    assert (again.returncode, again.stdout) == (2, "")
    assert again.stderr == (f"migrator: error: nothing to roll back: every run in {root / 'a' / '.migrator' / 'journal'}, "
                            f"{root / 'b' / '.migrator' / 'journal'} is rolled back already\n")
    assert snapshot(root) == before
    assert [line.split("  ")[-2:] for line in run_cli("rollback", "--list", cwd=root).stdout.splitlines()] == [
        ["a", "rolled back"], ["b", "rolled back"]]


def test_rollback_steps_back_one_run_at_a_time_across_the_projects(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    before = snapshot(root)
    first = run_cli("apply", "--write", "--phase", "expand", "a", "b", cwd=root)
    second = run_cli("apply", "--write", "--phase", "contract", "a", cwd=root)  # a alone: one journal
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "(undo the whole run" not in second.stderr  # the bare command reads a's journal: nothing to add
    back = run_cli("rollback", cwd=root)
    assert back.returncode == 0, back.stderr
    assert back.stderr.splitlines() == ["restored: a/poll.py",
                                        f"rolled back {_run_id(second.stderr)}: 1 restored, 0 left as they are"]
    assert (root / "a" / "poll.py").read_bytes() == EXPANDED and (root / "b" / "poll.py").read_bytes() == EXPANDED
    back = run_cli("rollback", cwd=root)
    assert back.stderr.splitlines()[-1] == f"rolled back {_run_id(first.stderr)}: 2 restored, 0 left as they are"
    assert snapshot(root) == before


def test_a_file_changed_since_is_left_and_said_until_forced(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    written = run_cli("apply", "--write", "a", "b", cwd=root)
    assert written.returncode == 0, written.stderr
    edited = EXPANDED + b"# edited by hand\r\n"
    (root / "b" / "poll.py").write_bytes(edited)
    refused = run_cli("rollback", cwd=root)
    assert refused.returncode == 3
    assert refused.stderr.splitlines() == [
        "restored: a/poll.py",
        "conflict: b/poll.py (changed since the run; --force restores the original anyway)",
        f"rolled back {_run_id(written.stderr)}: 1 restored, 1 left as they are",
    ]
    assert "-# edited by hand\n" in refused.stdout  # the diff, as text
    assert (root / "a" / "poll.py").read_bytes() == POLL and (root / "b" / "poll.py").read_bytes() == edited
    # What is left of the run is b's part: a's is not undone twice.
    forced = run_cli("rollback", "--force", cwd=root)
    assert forced.returncode == 0, forced.stderr
    assert forced.stderr.splitlines()[0] == "restored: b/poll.py (forced over changes made since the run)"
    assert forced.stderr.splitlines()[-1].endswith(": 1 restored, 0 left as they are")
    assert (root / "a" / "poll.py").read_bytes() == POLL and (root / "b" / "poll.py").read_bytes() == POLL


def test_a_state_dir_below_is_part_of_the_run(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _project(root / "a", "contract")
    state = make_state(root)
    db = state / DB_REL
    before, original = snapshot(root), db_content(db)
    written = run_cli("apply", "--write", "a", "--state-dir", "state", cwd=root)
    assert written.returncode == 0, written.stderr
    assert (state / ".migrator" / "journal").is_dir() and (root / "a" / ".migrator" / "journal").is_dir()
    assert "(undo the whole run: `migrator rollback`)" in written.stderr
    undone = run_cli("rollback", cwd=root)
    assert undone.returncode == 0, undone.stderr
    assert db_content(db) == original
    assert snapshot(root) == before


def test_the_command_apply_names_undoes_a_run_the_bare_one_would_not_reach(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    before = snapshot(root)
    written = run_cli("apply", "--write", ".", "../b", cwd=root / "a")
    assert written.returncode == 0, written.stderr
    command = f"migrator rollback . {root / 'b'}"
    assert f"(undo the whole run: `{command}`)" in written.stderr
    assert run_cli("rollback", "--list", cwd=root / "a").stdout.count("\n") == 1  # b is not below a
    undone = run_cli(*command.split()[1:], cwd=root / "a")
    assert undone.returncode == 0, undone.stderr
    assert snapshot(root) == before


def test_no_journal_below_is_read_through_a_symlink_in_node_modules_or_a_virtualenv(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    outside = _project(tmp_path / "outside")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    hidden = [_project(root / "node_modules" / "pkg"), _project(root / "env" / "lib" / "pkg")]
    (root / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    for project in [outside, *hidden]:
        assert run_cli("apply", "--write", ".", cwd=project).returncode == 0
    # A journal linked in from elsewhere names that place's files.
    (root / "c").mkdir()
    (root / "c" / ".migrator").symlink_to(outside / ".migrator", target_is_directory=True)
    listed = run_cli("rollback", "--list", cwd=root)
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, "", "no runs journalled\n")
    nothing = run_cli("rollback", cwd=root)
    assert nothing.returncode == 2
    assert nothing.stderr == (f"migrator: error: nothing to roll back: no journal in {root / '.migrator' / 'journal'} "
                              f"or below {root} (an OpenClaw state dir keeps its own: "
                              "`migrator rollback --state-dir DIR`)\n")
    assert all((project / "poll.py").read_bytes() == EXPANDED for project in [outside, *hidden])


def test_a_rollback_that_reads_part_of_a_run_names_the_journals_it_did_not(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _project(root / "a", "contract")
    state = make_state(tmp_path)  # beside the tree, not below it
    before, state_before, original = snapshot(root), snapshot(state), db_content(state / DB_REL)
    written = run_cli("apply", "--write", "a", "--state-dir", "../state", cwd=root)
    assert written.returncode == 0, written.stderr
    run_id = _run_id(written.stderr)
    assert f"(undo the whole run: `migrator rollback a {state}`)" in written.stderr
    part = run_cli("rollback", cwd=root)
    assert part.returncode == 0, part.stderr
    assert part.stderr.splitlines() == [
        "restored: a/poll.py", f"rolled back {run_id}: 1 restored, 0 left as they are",
        f"note: run {run_id} also wrote files journalled in {state}, not undone here; "
        f"`migrator rollback {state}` undoes them",
    ]
    assert snapshot(root) == before and db_content(state / DB_REL) != original
    rest = run_cli("rollback", "../state", cwd=root)  # spelled otherwise: still the journal the note named
    assert rest.returncode == 0, rest.stderr
    assert rest.stderr.splitlines()[-1].startswith(f"rolled back {run_id}: ")  # nothing left to name
    assert db_content(state / DB_REL) == original and snapshot(state) == state_before
