"""Rows from `openclaw gateway call sessions.list --json`, run through an
attribute that holds the resolved binary (`[self.openclaw_bin, "gateway",
"call", "sessions.list", ...]`) and decoded with `JSONDecoder.raw_decode`
from output that may carry log lines, are session rows. The set they are
tested against holds `None`, `""` and words of other vocabularies beside
the session words (as a real session keeper's does): the session words are
rewritten, the rest stay. A task list read the same way (`openclaw tasks`)
stays as it is."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.conftest import imported, run_cli, write_package

KEEPER = '''import json
import shutil
import subprocess

TERMINAL = {None, "", "done", "idle", "failed", "timed_out", "cancelled", "killed"}


class Keeper:
    def __init__(self, binary=None):
        self.openclaw_bin = str(binary or shutil.which("openclaw"))

    def _json(self, text):
        decoder = json.JSONDecoder()
        for index, character in enumerate(text):
            if character == "{":
                try:
                    payload, _ = decoder.raw_decode(text, index)
                except json.JSONDecodeError:
                    continue
                return payload
        raise RuntimeError("no json")

    def runtime_entry(self, key):
        out = subprocess.run([self.openclaw_bin, "gateway", "call", "sessions.list", "--json"],
                             capture_output=True, text=True, check=True).stdout
        for entry in self._json(out).get("sessions", []):
            if entry.get("key") == key:
                return entry
        raise KeyError(key)

    def idle(self, key):
        return self.runtime_entry(key).get("status") in TERMINAL

    def busy_tasks(self):
        out = subprocess.run([self.openclaw_bin, "tasks", "list", "--json"],
                             capture_output=True, text=True, check=True).stdout
        return [t["id"] for t in self._json(out).get("tasks", []) if t.get("status") not in ("done", "failed")]
'''

EXPANDED = KEEPER.replace('{None, "", "done", "idle", "failed", "timed_out", "cancelled", "killed"}',
                          '{None, "", "done", "agent_responded", "idle", "failed", "interrupted", "timed_out", '
                          '"cancelled", "killed", "halted"}')
CONTRACTED = KEEPER.replace('{None, "", "done", "idle", "failed", "timed_out", "cancelled", "killed"}',
                            '{None, "", "agent_responded", "idle", "interrupted", "timed_out", "cancelled", "halted"}')


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    write_package(root, "keeper", {"keeper.py": KEEPER})
    return root


def _fake_openclaw(tmp_path: Path, status: str) -> Path:
    """A stand-in `openclaw` executable that prints a log line, then the JSON
    the real CLI prints for these two commands."""
    binary = tmp_path / f"openclaw-{status}"
    sessions = {"sessions": [{"key": "main", "status": status}, {"key": "web", "status": "running"}]}
    tasks = {"tasks": [{"id": "t1", "status": "failed"}, {"id": "t2", "status": "running"}]}
    binary.write_text(
        "#!/bin/sh\necho 'gateway: connected'\n"
        f"if [ \"$1\" = tasks ]; then echo '{json.dumps(tasks)}'; else echo '{json.dumps(sessions)}'; fi\n", "utf-8")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


def test_scan_follows_the_gateway_call_through_the_decoder(tmp_path: Path) -> None:
    scan = run_cli("scan", ".", "--show-why", cwd=_tree(tmp_path))
    assert (scan.returncode, scan.stderr) == (1, "")
    lines = [line.split(" -> ")[0] for line in scan.stdout.splitlines() if line.startswith("keeper/")]
    assert lines == [
        "keeper/keeper.py:5:23: status-constant [certain, rewrite] 'done'",
        "keeper/keeper.py:5:39: status-constant [certain, rewrite] 'failed'",
        "keeper/keeper.py:5:75: status-constant [certain, rewrite] 'killed'",
    ]
    assert "a `sessions.list` result" in scan.stdout
    assert "'cancelled', 'idle', 'timed_out' kept as written" in scan.stdout


def test_expand_and_contract_bytes_and_behaviour(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    for phase, expected, speaks in (("expand", EXPANDED, ("failed", "interrupted")), ("contract", CONTRACTED, ("interrupted",))):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert (root / "keeper" / "keeper.py").read_text("utf-8") == expected, phase
        with imported(root, "keeper"):
            from keeper import keeper  # type: ignore[import-not-found]

            for status in speaks:
                k = keeper.Keeper(_fake_openclaw(tmp_path, status))
                assert (k.idle("main"), k.idle("web")) == (True, False), (phase, status)
                assert k.busy_tasks() == ["t2"], (phase, status)
