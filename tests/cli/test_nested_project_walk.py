"""A project nested inside a walked directory (``scan .`` where ``sub/`` has
its own ``[tool.migrator]``): its files get its table, as they do when the
pre-commit hook passes them one by one. CI (`apply --check .`) and the hook
must not disagree about the same file."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

POLL = '''import openclaw


def finished(client):
    rows = client.sessions_list()
    return [r for r in rows if r["status"] == "done"]
'''


def _tree(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.migrator]\nphase = "contract"\n')
    (root / "sub" / "pyproject.toml").write_text('[tool.migrator]\nphase = "expand"\n')
    (root / "sub" / "poll.py").write_text(POLL)
    return root


def test_a_file_given_alone_gets_its_nearest_table(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    alone = run_cli("apply", "sub/poll.py", "--no-cache", cwd=root)
    assert alone.returncode == 0, alone.stderr
    assert '+    return [r for r in rows if r["status"] in ("done", "agent_responded")]' in alone.stdout.splitlines()


def test_a_walked_directory_gives_a_nested_project_its_own_table(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    walked = run_cli("apply", ".", "--no-cache", cwd=root)
    alone = run_cli("apply", "sub/poll.py", "--no-cache", cwd=root)
    assert walked.returncode == alone.returncode == 0
    assert walked.stdout == alone.stdout
