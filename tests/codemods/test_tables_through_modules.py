"""A table of another module looked up through that module
(`vocab.LABELS.get(row.get('status'), '?')` after `from . import vocab`)
with the status of a session row is a use of the table: its keys are
session statuses. A lookup keyed by a value that reads no status (a
formatting callback's `value`) says nothing of the table's vocabulary. The
module's other table, looked up with our own call's outcome, is left alone."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli

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


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "bot").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "bot"\n', "utf-8")
    for name, text in (("__init__", ""), ("vocab", VOCAB), ("main", MAIN)):
        (root / "bot" / f"{name}.py").write_text(text, "utf-8")
    return root


def test_scan_reports_the_table_read_through_its_module(tmp_path: Path) -> None:
    scan = run_cli("scan", ".", "--show-why", "--min-confidence", "possible", cwd=_tree(tmp_path))
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
    root = _tree(tmp_path)
    assert run_cli("apply", "--write", "--phase", "expand", ".", cwd=root).returncode == 0
    assert (root / "bot" / "vocab.py").read_text("utf-8") == VOCAB.replace(
        '    "done": "finished",\n', '    "done": "finished",\n    "agent_responded": "finished",\n').replace(
        '    "failed": "errored",\n', '    "failed": "errored",\n    "interrupted": "errored",\n')
    assert run_cli("apply", "--write", "--phase", "contract", ".", cwd=root).returncode == 0
    assert (root / "bot" / "vocab.py").read_text("utf-8") == VOCAB.replace('"done"', '"agent_responded"').replace(
        '"failed"', '"interrupted"')
    assert (root / "bot" / "main.py").read_text("utf-8") == MAIN
