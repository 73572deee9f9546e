"""A table of another module looked up through that module
(`vocab.LABELS.get(row.get('status'), '?')` after `from . import vocab`)
with the status of a session row is a use of the table: its keys are
session statuses. A lookup keyed by a value that reads no status (a
formatting callback's `value`) says nothing of the table's vocabulary. The
module's other table, looked up with our own call's outcome, is left alone."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

VOCAB = '''LABELS = {
    "done": "finished",
    "failed": "errored",
    "running": "running",
}

REPLIES = {"ok": "stopped", "timeout": "no answer in time"}
'''

MAIN = '''import json
import subprocess

from . import vocab


def lines():
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True, check=True).stdout
    return [f"{row['key']}: {vocab.LABELS.get(row.get('status'), '?')}" for row in json.loads(out)["sessions"]]


def reply(outcome):
    return vocab.REPLIES[outcome]


def label(value):
    return vocab.LABELS.get(value, "?")
'''


FILES = {"vocab.py": VOCAB, "main.py": MAIN}


def test_scan_reports_the_table_read_through_its_module(tmp_path: Path) -> None:
    write_package(tmp_path, "bot", FILES)
    scan = run_cli("scan", ".", "--show-why", "--min-confidence", "possible", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    why = ("constant `LABELS` is used in a status test in another module: in bot/main.py: keyed by "
           "`row.get('status')`, where `row` iterates the `sessions` of decoded from `out`, the output of "
           "`openclaw sessions`")
    assert scan.stdout.splitlines() == [
        f"bot/vocab.py:2:5: status-dispatch [certain, rewrite] 'done' -> 'agent_responded': {why}",
        f"bot/vocab.py:3:5: status-dispatch [certain, rewrite] 'failed' -> 'interrupted': {why}",
        "3 files scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ]


def test_expand_then_contract(tmp_path: Path) -> None:
    package = write_package(tmp_path, "bot", FILES)
    apply_phase(tmp_path, "expand", package, FILES, {"vocab.py": VOCAB.replace(
        '    "done": "finished",\n', '    "done": "finished",\n    "agent_responded": "finished",\n').replace(
        '    "failed": "errored",\n', '    "failed": "errored",\n    "interrupted": "errored",\n')})
    apply_phase(tmp_path, "contract", package, FILES, {"vocab.py": VOCAB.replace(
        '"done"', '"agent_responded"').replace('"failed"', '"interrupted"')})
