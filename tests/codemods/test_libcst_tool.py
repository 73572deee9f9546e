"""LibCST's own runner runs the same codemod, as LibCST users expect."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

BEFORE = (
    'data = client.invoke("sessions_list", {})\n'
    'for row in data["sessions"]:\n'
    '    if row["status"] == "done":\n'
    '        pass\n'
)


def _codemod(path: Path, phase: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "libcst.tool", "codemod", "session_status.SessionStatusCommand",
         "--phase", phase, str(path)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize(
    ("phase", "expected"),
    [("expand", 'in ("done", "agent_responded")'), ("contract", '== "agent_responded"')],
)
def test_libcst_tool_runs_the_codemod(tmp_path: Path, phase: str, expected: str) -> None:
    target = tmp_path / "poll.py"
    target.write_text(BEFORE)
    done = _codemod(target, phase)
    assert done.returncode == 0, done.stderr
    assert expected in target.read_text()


def test_libcst_tool_leaves_other_vocabularies(tmp_path: Path) -> None:
    target = tmp_path / "jobs.py"
    source = 'def over(job):\n    return job["status"] == "done"\n'
    target.write_text(source)
    assert _codemod(target, "expand").returncode == 0
    assert target.read_text() == source
