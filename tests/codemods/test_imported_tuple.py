"""An item of the tuple a function of another module returns, imported by
name (`from .collect import collect`, then `state, rows = collect()`): the
rows are what that function puts at that place. The state beside them is
the helper's own word: listed for review at most, never rewritten."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

FILES = {
    "collect.py": '''import json
import subprocess


def collect():
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        return "failed", []
    return "ok", json.loads(out.stdout).get("sessions", [])
''',
    "report.py": '''from .collect import collect


def broken():
    state, rows = collect()
    if state == "failed":
        return None
    return [r["key"] for r in rows if r.get("status") == "timeout"]
''',
}


def test_the_rows_of_an_imported_helper_s_tuple(tmp_path: Path) -> None:
    package = write_package(tmp_path, "ci", FILES)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "ci/report.py:8:58: status-compare [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "to review (1):",
        # The helper's own state: nothing says what it is, so a person reads it; never rewritten.
        "ci/report.py:6:17: status-compare [possible, review] 'failed' -> 'interrupted'",
        "3 files scanned, 2 findings: 1 to rewrite, 1 to review (expand phase)",
    ]
    text = FILES["report.py"]
    apply_phase(tmp_path, "expand", package, FILES, {"report.py": text.replace(
        '== "timeout"', 'in ("timeout", "waiting_for_response")')})
    apply_phase(tmp_path, "contract", package, FILES, {"report.py": text.replace(
        '== "timeout"', '== "waiting_for_response"')})
