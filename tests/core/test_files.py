"""Discovery: .gitignore, skipped directories, include/exclude, symlinks,
and parallel runs that agree with serial ones."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import run_cli

SESSION_TEST = 'data = invoke("sessions_list")\nfor row in data["sessions"]:\n    if row["status"] == "done":\n        pass\n'


def _paths(stdout: str) -> set[str]:
    return {line.split(":", 1)[0] for line in stdout.splitlines() if ":" in line and not line[0].isdigit()}


def _tree(root: Path, names: list[str]) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SESSION_TEST)


def test_skips_git_venvs_node_modules_and_gitignored(tmp_path: Path) -> None:
    _tree(tmp_path, [
        "app/main.py", ".git/hooks/x.py", "node_modules/pkg/y.py", "env/lib/z.py",
        "build/gen.py", "app/sub/ignored_here.py", "app/sub/kept.py",
    ])
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / ".gitignore").write_text("build/\n")
    (tmp_path / "app" / "sub" / ".gitignore").write_text("ignored_here.py\n")
    result = run_cli("scan", ".", cwd=tmp_path)
    assert _paths(result.stdout) == {"app/main.py", "app/sub/kept.py"}


def test_include_and_exclude_from_config(tmp_path: Path) -> None:
    _tree(tmp_path, ["src/a.py", "src/gen/b.py", "scripts/c.py"])
    (tmp_path / "pyproject.toml").write_text('[tool.migrator]\ninclude = ["src/"]\nexclude = ["src/gen/"]\n')
    result = run_cli("scan", ".", cwd=tmp_path)
    assert _paths(result.stdout) == {"src/a.py"}


def test_symlinks_are_not_followed_out_of_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _tree(outside, ["secret.py"])
    root = tmp_path / "root"
    _tree(root, ["mine.py"])
    os.symlink(outside / "secret.py", root / "link.py")
    os.symlink(outside, root / "linkdir")
    result = run_cli("apply", ".", "--write", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (outside / "secret.py").read_text() == SESSION_TEST
    assert (root / "mine.py").read_text() != SESSION_TEST


def test_parallel_run_matches_serial(tmp_path: Path) -> None:
    _tree(tmp_path, [f"pkg/m{i:02d}.py" for i in range(40)])
    serial = run_cli("scan", ".", "--format", "json", "--jobs", "1", cwd=tmp_path)
    parallel = run_cli("scan", ".", "--format", "json", "--jobs", "2", cwd=tmp_path)
    assert serial.returncode == parallel.returncode == 1
    assert serial.stdout == parallel.stdout


def test_files_without_old_literals_are_never_parsed(tmp_path: Path) -> None:
    # A syntax error that the prefilter never lets the parser see.
    (tmp_path / "broken_but_irrelevant.py").write_text("def (:\n")
    (tmp_path / "a.py").write_text(SESSION_TEST)
    result = run_cli("scan", ".", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    import json

    summary = json.loads(result.stdout)["summary"]
    assert (summary["files_scanned"], summary["files_parsed"], summary["errors"]) == (2, 1, 0)
