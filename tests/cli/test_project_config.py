"""Several paths in one run, each under its own ``pyproject.toml``: every path
gets its own project's ``[tool.migrator]``, in one report, one exit code and
one journal run id; the command line still wins over every table."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli, snapshot

POLL = '''import openclaw


def finished(client):
    rows = client.sessions_list()
    return [r for r in rows if r["status"] == "done"]
'''
CONTRACTED = POLL.replace('== "done"', '== "agent_responded"')
EXPANDED = POLL.replace('== "done"', 'in ("done", "agent_responded")')
EXPORT = '{"jobs": [{"status": "failed"}]}\n'


def _tree(root: Path) -> Path:
    """``a`` (contract, a data rule) and ``b`` (expand, an exclude), side by
    side under a folder that has no configuration."""
    (root / "a" / "exports").mkdir(parents=True)
    (root / "a" / "pyproject.toml").write_text(
        '[tool.migrator]\nphase = "contract"\n\n'
        '[[tool.migrator.data]]\npaths = ["exports/*.json"]\npointers = ["/jobs/*/status"]\n'
    )
    (root / "a" / "poll.py").write_text(POLL)
    (root / "a" / "exports" / "jobs.json").write_text(EXPORT)
    (root / "b" / "exports").mkdir(parents=True)
    (root / "b" / "vendored").mkdir()
    (root / "b" / "pyproject.toml").write_text('[tool.migrator]\ntarget-version = "2026.9.6"\nexclude = ["vendored/"]\n')
    (root / "b" / "poll.py").write_text(POLL)
    (root / "b" / "vendored" / "poll.py").write_text(POLL)
    # No data rule in b: its export is not b's session data.
    (root / "b" / "exports" / "jobs.json").write_text(EXPORT)
    return root


FINDINGS = [
    "a/exports/jobs.json:1:22: data-rule [certain, rewrite] 'failed' -> 'interrupted' at /jobs/0/status",
    "a/poll.py:6:47: status-compare [certain, rewrite] 'done' -> 'agent_responded'",
    "b/poll.py:6:47: status-compare [certain, rewrite] 'done' -> 'agent_responded'",
]
SUMMARY = "3 files scanned, 3 findings: 3 to rewrite, 0 to review (contract phase in a, expand phase in b)"


def test_scan_gives_each_path_its_own_project(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    result = run_cli("scan", "a", "b", "--no-cache", cwd=root)
    assert result.returncode == 1
    assert result.stderr == ""
    assert result.stdout.splitlines() == [*FINDINGS, SUMMARY]


def test_verbose_names_each_project_and_what_the_run_shares(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    result = run_cli("scan", "a", "b", "-v", "-j", "2", cwd=root)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"config: {root / 'a' / 'pyproject.toml'} for a; phase contract ([tool.migrator] phase); cache on",
        f"config: {root / 'b' / 'pyproject.toml'} for b; phase expand (target-version 2026.9.6 (sunset 2027.4.0)); "
        "cache on",
        "2 projects in one run: one report, one exit code, one journal run id; "
        "shared by all: --jobs 2 and the other command-line options",
        "3 files claimed, 3 past the prefilter, 0 from the cache, 3 analysed",
    ]
    # Each project keeps its own cache, which answers the next run.
    assert (root / "a" / ".migrator" / "cache").is_dir() and (root / "b" / ".migrator" / "cache").is_dir()
    again = run_cli("scan", "a", "b", "-v", cwd=root)
    assert again.stdout == result.stdout
    # (a data file's result is not cached: it depends on more than its bytes)
    assert again.stderr.splitlines()[-1] == "3 files claimed, 3 past the prefilter, 2 from the cache, 1 analysed"


def test_json_report_lists_the_projects(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    document = json.loads(run_cli("scan", "a", "b", "--format", "json", "--no-cache", cwd=root).stdout)
    assert document["summary"]["phase"] == "mixed"
    assert document["summary"]["phase_source"] == "per project"
    assert [(p["config"], p["paths"], p["phase"]) for p in document["projects"]] == [
        (str(root / "a" / "pyproject.toml"), ["a"], "contract"),
        (str(root / "b" / "pyproject.toml"), ["b"], "expand"),
    ]


def test_apply_diff_and_check_follow_each_project(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    before = snapshot(root)
    diff = run_cli("apply", "a", "b", "--no-cache", cwd=root)
    assert diff.returncode == 0
    assert [line for line in diff.stdout.splitlines() if line.startswith(("+++", "+ ", "+{"))] == [
        "+++ b/a/exports/jobs.json",
        '+{"jobs": [{"status": "interrupted"}]}',
        "+++ b/a/poll.py",
        '+    return [r for r in rows if r["status"] == "agent_responded"]',
        "+++ b/b/poll.py",
        '+    return [r for r in rows if r["status"] in ("done", "agent_responded")]',
    ]
    check = run_cli("apply", "a", "b", "--check", "--no-cache", cwd=root)
    assert check.returncode == 1
    assert check.stderr.splitlines() == [
        "would rewrite a/exports/jobs.json", "would rewrite a/poll.py", "would rewrite b/poll.py",
        "3 files would be rewritten, 0 files would be left unchanged.",
    ]
    assert snapshot(root) == before


def test_write_of_single_files_is_one_run_that_rollback_undoes(tmp_path: Path) -> None:
    # As the pre-commit hook calls it: the staged files, from the repository root.
    root = _tree(tmp_path)
    before = snapshot(root)
    result = run_cli("apply", "--write", "a/poll.py", "b/poll.py", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (root / "a" / "poll.py").read_text() == CONTRACTED
    assert (root / "b" / "poll.py").read_text() == EXPANDED
    assert (root / "b" / "vendored" / "poll.py").read_text() == POLL
    assert (root / "a" / "exports" / "jobs.json").read_text() == EXPORT  # not given
    lines = result.stderr.splitlines()
    assert lines[:2] == ["rewrote a/poll.py", "rewrote b/poll.py"]
    run_ids = {line.split()[0] for line in run_cli("rollback", "--list", "a", "b", cwd=root).stdout.splitlines()}
    assert len(run_ids) == 1
    (run_id,) = run_ids
    assert lines[2] == (f"2 files rewritten; journal {run_id} in a/.migrator/journal, b/.migrator/journal "
                        "(undo the whole run: `migrator rollback`). "
                        "2 files scanned, 2 findings: 2 to rewrite, 0 to review (contract phase in a, "
                        "expand phase in b)")
    listed = run_cli("rollback", "--list", "a", "b", cwd=root).stdout.splitlines()
    assert [line.split()[2:] for line in listed] == [["1", "file", "contract", "a"], ["1", "file", "expand", "b"]]
    undone = run_cli("rollback", "a", "b", cwd=root)
    assert undone.returncode == 0
    assert undone.stderr.splitlines() == ["restored: a/poll.py", "restored: b/poll.py",
                                          f"rolled back {run_id}: 2 restored, 0 left as they are"]
    assert snapshot(root) == before


def test_command_line_wins_over_every_project(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    phase = run_cli("scan", "a", "b", "--phase", "expand", "--no-cache", "-v", cwd=root)
    # expand keeps a's own data in the old names: contract pending, not a finding
    assert phase.stdout.splitlines() == [
        FINDINGS[1], FINDINGS[2],
        "a/exports/jobs.json:1:22: data-rule: `failed` kept in expand (your own data) at /jobs/0/status, "
        "`interrupted` in contract: contract pending",
        "3 files scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ]
    assert phase.stderr.splitlines()[0] == f"config: {root / 'a' / 'pyproject.toml'} for a; phase expand (--phase); cache off"
    # --config: one table for every path (b's: no data rule, vendored/ excluded).
    config = run_cli("scan", "a", "b", "--config", "b/pyproject.toml", "--no-cache", cwd=root)
    assert config.stdout.splitlines() == [
        "a/poll.py:6:47: status-compare [certain, rewrite] 'done' -> 'agent_responded'",
        "b/poll.py:6:47: status-compare [certain, rewrite] 'done' -> 'agent_responded'",
        "2 files scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ]


def test_a_path_under_no_project_goes_with_the_first(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "loose.py").write_text(POLL)
    result = run_cli("apply", "b", "loose.py", "a", "--no-cache", "-v", cwd=root)
    assert result.returncode == 0
    assert '+    return [r for r in rows if r["status"] in ("done", "agent_responded")]' in result.stdout
    assert result.stdout.count('"status"] in ("done", "agent_responded")]') == 2  # b/poll.py and loose.py
    assert result.stderr.splitlines()[0].startswith(
        f"config: {root / 'b' / 'pyproject.toml'} for b, loose.py (under no project); phase expand")


def test_nested_project_given_beside_its_parent_keeps_its_own(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.migrator]\nphase = "expand"\n')
    (tmp_path / "top.py").write_text(POLL)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text('[tool.migrator]\nphase = "contract"\n')
    (tmp_path / "sub" / "poll.py").write_text(POLL)
    result = run_cli("apply", ".", "sub", "--write", "--no-cache", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "top.py").read_text() == EXPANDED
    assert (tmp_path / "sub" / "poll.py").read_text() == CONTRACTED
    assert result.stderr.splitlines()[-1].endswith("(expand phase in ., contract phase in sub)")


def test_a_bad_table_in_one_project_stops_the_run(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "b" / "pyproject.toml").write_text('[tool.migrator]\nphase = "contrct"\n')
    before = snapshot(root)
    result = run_cli("apply", "a", "b", "--write", cwd=root)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (f"migrator: error: {root / 'b' / 'pyproject.toml'}: [tool.migrator] key 'phase' must be "
                             "one of expand, contract, not 'contrct'\n")
    assert snapshot(root) == before
    assert not (root / "a" / ".migrator").exists()
