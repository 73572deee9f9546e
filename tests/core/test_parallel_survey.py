"""A large tree is read and surveyed by forked workers when ``-j`` is above
1: the report is the one a single process gives, an unreadable file
included, and the files are really read in other processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from migrator import load_options, pipeline, run
from tests.conftest import REPO

SESSION_TEST = b'def dead(rows):\n    return [r for r in rows if r["status"] == "failed"]  # sessions_list\n'


def _tree(root: Path) -> Path:
    """More files than ``PARALLEL_SURVEY``: most plain, some with a finding, one unreadable."""
    (root / "pyproject.toml").write_text("[tool.migrator]\n")
    for i in range(pipeline.PARALLEL_SURVEY + 100):
        package = root / f"pkg{i // 200}"
        package.mkdir(exist_ok=True)
        (package / f"m{i}.py").write_bytes(SESSION_TEST if i % 500 == 7 else b"X = 1\n")
    (root / "secret.py").write_bytes(SESSION_TEST)
    (root / "secret.py").chmod(0o000)
    return root


def _scan(root: Path, jobs: int) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "migrator", "scan", "--no-cache", "--format", "json", "-j", str(jobs), "."]
    if os.geteuid() == 0:
        # Root reads anything; in a fresh user namespace it keeps only the
        # owner's permission bits, which is what an ordinary user has.
        command = ["unshare", "--user", *command]
    return subprocess.run(command, cwd=root, env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=120)


def test_forked_readers_report_what_one_process_reports(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    try:
        one, two = _scan(root, 1), _scan(root, 2)
    finally:
        (root / "secret.py").chmod(0o600)
    assert (one.returncode, two.returncode) == (3, 3), one.stderr
    assert two.stdout == one.stdout and two.stderr == one.stderr
    assert "secret.py: cannot read: Permission denied" in one.stderr
    assert len(json.loads(one.stdout)["findings"]) == 5  # the session tests of the tree, secret.py unread


@pytest.mark.skipif(not pipeline.FORK, reason="readers are forked on Linux only")
def test_the_files_are_read_in_worker_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path)
    (root / "secret.py").chmod(0o600)
    readers = tmp_path / "readers"
    survey = pipeline._survey

    def recorded(*args: object) -> object:
        with open(readers, "a") as out:  # appended by whichever process reads
            out.write(f"{os.getpid()}\n")
        return survey(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "_survey", recorded)
    monkeypatch.chdir(root)
    outcome = run(load_options(["."], cwd=root, jobs=2, use_cache=False))
    pids = readers.read_text().split()
    assert len(pids) == outcome.files_seen
    assert str(os.getpid()) not in pids  # none read by the parent
