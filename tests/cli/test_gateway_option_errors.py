"""``migrator gateway`` says a bad version or date as scan and apply say a bad
version: one line, ``migrator: error: OPTION: ...``, exit 2, nothing started."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gateway-version", "banana"], "--gateway-version: not an OpenClaw version: 'banana'"),
        (["--extend-window-until", "soon"], "--extend-window-until: 'soon' is not a date (YYYY-MM-DD)"),
    ],
)
def test_a_bad_value_is_one_line_in_the_one_form(tmp_path: Path, args: list[str], message: str) -> None:
    done = run_cli("gateway", *args, cwd=tmp_path, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"migrator: error: {message}\n")


def test_scan_says_the_same_version_error(tmp_path: Path) -> None:
    done = run_cli("scan", ".", "--gateway-version", "banana", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (2, "migrator: error: --gateway-version: not an OpenClaw version: 'banana'\n")
