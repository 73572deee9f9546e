"""A dict literal with a status key is a possible session record only in code
that talks to OpenClaw: a UI library's `metadata={"status": "done"}` in a
package that never does is its own (a real agent SDK's Gradio adapter had
sixteen of them listed for review in contract)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli, write_package

UI = '''import gradio as gr


def steps(log):
    yield gr.ChatMessage(role="assistant", content=log.text, metadata={"status": "done"})
    yield gr.ChatMessage(role="assistant", content="...", metadata={"status": "pending"})
'''

CLIENT = '''import json
import subprocess


def sessions():
    return json.loads(subprocess.run(["openclaw", "sessions", "--json"], capture_output=True).stdout)


def fake_row(key):
    return {"key": key, "status": "done"}
'''


def test_only_code_that_talks_to_openclaw_lists_its_dict_literals(tmp_path: Path) -> None:
    write_package(tmp_path, "app", {"ui.py": UI, "client.py": CLIENT})
    scan = run_cli("scan", ".", "--phase", "contract", "--show-why", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "to review (1):",
        "app/client.py:10:35: status-writer [possible, review] 'done' -> 'agent_responded': a dict literal with a "
        "status key; module talks to OpenClaw (openclaw sessions)",
        "3 files scanned, 1 finding: 0 to rewrite, 1 to review (contract phase)",
    ]
