"""A module of plain functions over session rows that holds no OpenClaw call
of its own: what its callers pass ties it to OpenClaw.

- `frames.failed_keys(rows)` filters in a comprehension over its parameter;
  `main.py` passes it rows of `openclaw sessions --json`: certain.
- `frames.stopped(rows)` has no caller in the tree, but its module's other
  function is given session rows: likely, rewritten at the default threshold.
- `summary.annotate(rows)` is passed lists filled with `+=` and `.extend`
  from session rows (`bad, total = [], 0` first): certain.
- `jobs.finished(rows)`, in a module nothing passes session rows to, is only
  listed for review and never rewritten.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

FILES = {
    "frames.py": '''def failed_keys(rows):
    return [r["key"] for r in rows if r["status"] == "failed"]


def stopped(rows):
    return [r for r in rows if r["status"] == "killed"]
''',
    "main.py": '''import json
import subprocess

from . import frames, summary


def rows_of(agent):
    out = subprocess.run(["openclaw", "sessions", "--agent", agent, "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["sessions"]


def report(agents):
    bad, total = [], 0
    for agent in agents:
        rows = rows_of(agent)
        bad += rows
        total += len(rows)
    more = []
    more.extend(rows_of("ops"))
    summary.annotate(bad)
    summary.annotate(more)
    return frames.failed_keys(bad), total
''',
    "summary.py": '''def annotate(rows):
    for row in rows:
        level = "warning" if row.get("status") == "killed" else "error"
        print(level, row["key"])
''',
    "jobs.py": '''def finished(rows):
    return [r for r in rows if r["status"] == "done"]
''',
}


def test_scan_ties_the_module_through_what_its_callers_pass(tmp_path: Path) -> None:
    write_package(tmp_path, "watch", FILES)
    scan = run_cli("scan", ".", "--show-why", "--min-confidence", "possible", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    chain = ("`bad` holds `rows`, what `rows_of()` (watch/main.py:7) returns, the `sessions` of decoded from "
             "`out`, the output of `openclaw sessions`")
    assert scan.stdout.splitlines() == [
        "watch/frames.py:2:54: status-compare [certain, rewrite] 'failed' -> 'interrupted': compared with "
        f"`r[\"status\"]`, where `r` iterates `rows` of `failed_keys()` is passed, at watch/main.py:23, `bad`, {chain}",
        "watch/frames.py:6:47: status-compare [likely, rewrite] 'killed' -> 'halted': compared with "
        "`r[\"status\"]`; module talks to OpenClaw (through its callers: `failed_keys()` is given session rows "
        "at watch/main.py:23, `bad`)",
        "watch/jobs.py:2:47: status-compare [possible, rewrite] 'done' -> 'agent_responded': compared with "
        "`r[\"status\"]`, but nothing ties it to OpenClaw",
        "watch/summary.py:3:51: status-compare [certain, rewrite] 'killed' -> 'halted': compared with "
        f"`row.get(\"status\")`, where `row` iterates `rows` of `annotate()` is passed, at watch/main.py:21, `bad`, {chain}",
        "5 files scanned, 4 findings: 4 to rewrite, 0 to review (expand phase)",
    ]


def test_expand_then_contract(tmp_path: Path) -> None:
    package = write_package(tmp_path, "watch", FILES)
    apply_phase(tmp_path, "expand", package, FILES, {
        "frames.py": FILES["frames.py"].replace('r["status"] == "failed"', 'r["status"] in ("failed", "interrupted")')
        .replace('r["status"] == "killed"', 'r["status"] in ("killed", "halted")'),
        "summary.py": FILES["summary.py"].replace('row.get("status") == "killed"', 'row.get("status") in ("killed", "halted")'),
    })
    apply_phase(tmp_path, "contract", package, FILES, {
        "frames.py": FILES["frames.py"].replace('"failed"', '"interrupted"').replace('"killed"', '"halted"'),
        "summary.py": FILES["summary.py"].replace('"killed"', '"halted"'),
    })
    after = run_cli("scan", ".", "--phase", "contract", "--min-confidence", "possible", cwd=tmp_path)
    assert after.stdout.splitlines() == [
        "watch/jobs.py:2:47: status-compare [possible, rewrite] 'done' -> 'agent_responded'",
        "5 files scanned, 1 finding: 1 to rewrite, 0 to review (contract phase)",
    ]
