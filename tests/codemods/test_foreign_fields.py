"""A class whose status field is typed (or defaults) with another
vocabulary's word holds that vocabulary: the board's own reload state,
`status: Literal["idle", "running", "done", "failed"] = "idle"`, is not a
session's, in the module that talks to OpenClaw as much as in its own."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli

MODELS = '''from dataclasses import dataclass
from typing import Literal, Optional


@dataclass
class Reload:
    status: Literal["idle", "running", "done", "failed"] = "idle"
    error: Optional[str] = None
'''

BOARD = '''from .models import Reload

reload = Reload()


async def refresh(rpc):
    reload.status = "running"
    try:
        rows = (await rpc("sessions.list", {"limit": 200}))["sessions"]
        reload.status = "done"
    except OSError as exc:
        rows, reload.status, reload.error = [], "failed", str(exc)
    return [r["key"] for r in rows if r["status"] == "failed"]


def footer():
    return "reload failed" if reload.status == "failed" else reload.status
'''


def test_a_class_typed_with_another_vocabulary_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\n", "utf-8")
    (tmp_path / "board").mkdir()
    (tmp_path / "board" / "__init__.py").write_text("", "utf-8")
    (tmp_path / "board" / "models.py").write_text(MODELS, "utf-8")
    (tmp_path / "board" / "app.py").write_text(BOARD, "utf-8")
    scan = run_cli("scan", ".", "--format", "json", "--min-confidence", "possible", "--phase", "contract",
                   cwd=tmp_path)
    found = [(f["path"], f["line"], f["old"], f["confidence"]) for f in json.loads(scan.stdout)["findings"]]
    assert found == [("board/app.py", 13, "failed", "certain")]  # the sessions' test, and nothing of Reload
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "board" / "app.py").read_text("utf-8") == BOARD.replace(
        'r["status"] == "failed"', 'r["status"] == "interrupted"')
    assert (tmp_path / "board" / "models.py").read_text("utf-8") == MODELS
