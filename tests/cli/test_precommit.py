"""The pre-commit hook, installed by repository URL like any user would, blocks
a commit that still needs the migration and lets a migrated one through."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO

pytest.importorskip("pre_commit", reason="pre-commit is in the test extra")


def _git(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="needs this checkout's git history")
def test_hook_blocks_an_unmigrated_commit(tmp_path: Path) -> None:
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
    }
    env.pop("CI", None)
    env.pop("PYTHONPATH", None)  # the hook must work from its own installed environment
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "demo", project, ignore=shutil.ignore_patterns(".migrator"))
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO.as_uri()}\n    rev: {rev}\n    hooks:\n      - id: migrator\n"
    )
    _git("init", "-q", "-b", "main", cwd=project, env=env)
    installed = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=project, env=env,
                               capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr
    _git("add", "-A", cwd=project, env=env)

    blocked = _git("commit", "-m", "unmigrated", cwd=project, env=env)
    shown = blocked.stdout + blocked.stderr  # git relays hook output on either
    assert blocked.returncode != 0, shown
    assert "migrator (OpenClaw session-status rename)" in shown and "Failed" in shown
    assert "would rewrite orchestrator/monitor.py" in shown and "+++ b/orchestrator/monitor.py" in shown
    assert _git("rev-parse", "--verify", "HEAD", cwd=project, env=env).returncode != 0  # nothing committed

    # The files are staged, not committed: --write needs --allow-dirty to touch them.
    refused = subprocess.run([sys.executable, "-m", "migrator", "apply", "--write", "."], cwd=project,
                             env={**env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2, refused.stderr
    migrate = subprocess.run([sys.executable, "-m", "migrator", "apply", "--write", "--allow-dirty", "."], cwd=project,
                             env={**env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stderr
    _git("add", "-A", cwd=project, env=env)
    passed = _git("commit", "-m", "migrated", cwd=project, env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout + passed.stderr
