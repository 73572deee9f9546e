"""Helpers of another module, called through the module (`from . import
gw`, then `gw.sessions()`): what they return keeps its source. Rows of
`sessions_list` are session rows (`certain`); the answer of a helper that
calls `sessions_send` is another vocabulary, whose `timeout` means the
peer did not answer in time, and is left alone in both phases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

GW = '''import json
import urllib.request


def _tool(name, args=None):
    request = urllib.request.Request("http://127.0.0.1:18789/tools/invoke",
                                     data=json.dumps({"tool": name, "args": args or {}}).encode())
    with urllib.request.urlopen(request) as response:
        return json.load(response)["result"]["details"]


def sessions():
    return _tool("sessions_list", {"limit": 50}).get("sessions", [])


def ping(key, text):
    return _tool("sessions_send", {"sessionKey": key, "message": text, "timeoutSeconds": 30})
'''

LOOP = '''from . import gw


def sweep():
    nudged, silent = [], []
    for row in gw.sessions():
        if row["status"] == "failed":
            nudged.append(row["key"])
            reply = gw.ping(row["key"], "carry on")
            if reply.get("status") == "timeout":
                silent.append(row["key"])
    return nudged, silent
'''

# Runs the migrated package with the gateway's two tools answered in-process.
CALL = '''import json, sys
sys.path.insert(0, sys.argv[1])
from crew import gw, loop
rows, answer = json.loads(sys.argv[2]), sys.argv[3]
gw._tool = lambda name, args=None: {"sessions": rows} if name == "sessions_list" else {"status": answer}
print(json.dumps(loop.sweep()))
'''


def _sweep(root: Path, rows: list[dict[str, str]], answer: str) -> list[list[str]]:
    done = subprocess.run([sys.executable, "-c", CALL, str(root), json.dumps(rows), answer],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_a_module_helper_keeps_the_source_of_what_it_returns(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\n", "utf-8")
    (tmp_path / "crew").mkdir()
    (tmp_path / "crew" / "__init__.py").write_text("", "utf-8")
    (tmp_path / "crew" / "gw.py").write_text(GW, "utf-8")
    (tmp_path / "crew" / "loop.py").write_text(LOOP, "utf-8")
    scan = run_cli("scan", ".", "--min-confidence", "possible", "--phase", "contract", "--show-why", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout == (
        "crew/loop.py:7:29: status-compare [certain, rewrite] 'failed' -> 'interrupted': compared with "
        '`row["status"]`, where `row` iterates what `sessions()` (crew/gw.py:12) returns, the `sessions` of a `sessions_list` result\n'
        "3 files scanned, 1 finding: 1 to rewrite, 0 to review (contract phase)\n"
    )
    for phase, old, new in (("expand", "failed", "failed"), ("contract", "interrupted", "interrupted")):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        compared = '("failed", "interrupted")' if phase == "expand" else '"interrupted"'
        operator = "in" if phase == "expand" else "=="
        assert (tmp_path / "crew" / "loop.py").read_text("utf-8") == LOOP.replace(
            '== "failed"', f"{operator} {compared}")
        assert (tmp_path / "crew" / "gw.py").read_text("utf-8") == GW
        # The sweep still finds the failed session (under the name its phase
        # reads), and the peer's own `timeout` still means no answer.
        for status in {old, new}:
            rows = [{"key": "agent:main:a", "status": status}, {"key": "agent:main:b", "status": "running"}]
            assert _sweep(tmp_path, rows, "timeout") == [["agent:main:a"], ["agent:main:a"]]
            assert _sweep(tmp_path, rows, "ok") == [["agent:main:a"], []]


CLIENT = '''class Gateway:
    def __init__(self, call):
        self.call = call

    def sessions(self):
        return self.call("sessions_list", {"limit": 100})["details"]["sessions"]

    def wait_children(self, run_ids):
        return self.call("agents_wait", {"runIds": run_ids})["details"]
'''

FAN = '''from .client import Gateway


def broken(gw: Gateway):
    return [row["key"] for row in gw.sessions() if row["status"] == "failed"]


def late(gw: Gateway | None, run_ids):
    waited = gw.wait_children(run_ids)
    return [c["runId"] for c in waited["completed"] if c["status"] == "timeout"]
'''


def test_a_parameter_typed_with_a_class_of_another_module_calls_its_methods(tmp_path: Path) -> None:
    """`gw: Gateway` is an instance of the class `client.py` defines: its
    `sessions()` give session rows, its `wait_children()` an `agents_wait`
    answer, whose `timeout` is a child run's and is left alone."""
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\n", "utf-8")
    (tmp_path / "crew").mkdir()
    (tmp_path / "crew" / "__init__.py").write_text("", "utf-8")
    (tmp_path / "crew" / "client.py").write_text(CLIENT, "utf-8")
    (tmp_path / "crew" / "fan.py").write_text(FAN, "utf-8")
    scan = run_cli("scan", ".", "--min-confidence", "possible", "--phase", "contract", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout == (
        "crew/fan.py:5:69: status-compare [certain, rewrite] 'failed' -> 'interrupted'\n"
        "3 files scanned, 1 finding: 1 to rewrite, 0 to review (contract phase)\n"
    )
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "crew" / "fan.py").read_text("utf-8") == FAN.replace('== "failed"', '== "interrupted"')
