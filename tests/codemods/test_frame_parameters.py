"""A data frame passed in as a parameter: `df["status"] == "done"` tests a
whole column, which `in ("done", "agent_responded")` cannot. In a module
that imports pandas, a parameter the function uses as a frame
(`df[df.status == "killed"]`) takes the column's own membership test in
expand; one it does not (perhaps a frame, perhaps a row) is left for review
in expand and renamed in contract, which is right for both. An item a loop
takes is a row, rewritten as any row's test."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

ANALYSIS = '''import pandas as pd


def user_stops(df):
    return df[df.status == "killed"]


def flags(df):
    return [df["status"] == "done", df["status"] == "failed"]


def failed_keys(rows):
    return [row["key"] for row in rows if row["status"] == "failed"]


def frame(rows):
    return pd.DataFrame(rows)
'''

REPORT = '''import json
import subprocess

from . import analysis


def main():
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True, check=True).stdout
    rows = json.loads(out)["sessions"]
    sessions = analysis.frame(rows)
    print(analysis.user_stops(sessions), analysis.flags(sessions), analysis.failed_keys(rows))
'''


FILES = {"analysis.py": ANALYSIS, "report.py": REPORT}


def test_scan(tmp_path: Path) -> None:
    write_package(tmp_path, "review", FILES)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "review/analysis.py:5:28: status-column-compare [likely, rewrite] 'killed' -> 'halted'",
        "review/analysis.py:13:60: status-compare [certain, rewrite] 'failed' -> 'interrupted'",
        "to review (2):",
        "review/analysis.py:9:29: status-column-compare [likely, review] 'done' -> 'agent_responded'",
        "review/analysis.py:9:53: status-column-compare [likely, review] 'failed' -> 'interrupted'",
        "3 files scanned, 4 findings: 2 to rewrite, 2 to review (expand phase)",
    ]


def test_expand_then_contract(tmp_path: Path) -> None:
    package = write_package(tmp_path, "review", FILES)
    apply_phase(tmp_path, "expand", package, FILES, {"analysis.py": ANALYSIS.replace(
        'df[df.status == "killed"]', 'df[df.status.isin(("killed", "halted"))]').replace(
        'row["status"] == "failed"', 'row["status"] in ("failed", "interrupted")')})
    apply_phase(tmp_path, "contract", package, FILES, {"analysis.py": ANALYSIS.replace('"killed"', '"halted"').replace(
        '"done"', '"agent_responded"').replace('"failed"', '"interrupted"')})
