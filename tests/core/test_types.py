"""The package type-checks under mypy --strict (the bar STYLE.md sets)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO


def test_mypy_strict_is_clean(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--ignore-missing-imports",
         "--cache-dir", str(tmp_path / "cache"), "migrator", "codemods"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
