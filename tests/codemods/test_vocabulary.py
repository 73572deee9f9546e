"""The session vocabulary is OpenClaw's own: `queued` is a session status
(openclaw@2026.9.6 SessionRunStatusSchema), left as it is like `running`, and
no evidence that a comparison is about another vocabulary."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import FIXTURES, run_cli

BEFORE = FIXTURES / "vocabulary" / "queued"
AFTER = FIXTURES / "vocabulary" / "queued-expected"


def _copy(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(BEFORE, work, ignore=shutil.ignore_patterns(".migrator"))
    return work


def test_queued_beside_running_on_a_sessions_list_row_leaves_the_finding_certain(tmp_path: Path) -> None:
    work = _copy(tmp_path)
    out = run_cli("scan", "--format", "json", ".", cwd=work)
    assert out.returncode == 1, out.stdout + out.stderr
    findings = json.loads(out.stdout)["findings"]
    assert [(f["path"], f["line"], f["old"], f["new"], f["confidence"], f["action"]) for f in findings] == [
        ("watch.py", 12, "failed", "interrupted", "certain", "rewrite")]
    assert "sessions_list" in findings[0]["why"]


def test_expand_accepts_both_names_and_leaves_queued_and_running(tmp_path: Path) -> None:
    work = _copy(tmp_path)
    done = run_cli("apply", "--write", ".", cwd=work)
    assert done.returncode == 0, done.stderr
    assert (work / "watch.py").read_bytes() == (AFTER / "watch.py").read_bytes()
    again = run_cli("apply", "--check", ".", cwd=work)
    assert again.returncode == 0, again.stdout + again.stderr
