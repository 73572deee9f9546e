"""Every command of MIGRATION.md, run in the order the guide gives them, on a
demo project and an OpenClaw state dir, with the outcome the guide promises."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import FIXTURES, REPO, snapshot

GUIDE = REPO / "MIGRATION.md"

# (command, exit code): the guide's commands in order, and what each must do here.
EXPECTED = [
    ("migrator scan .", 1),  # findings
    ("migrator explain status-compare", 0),
    ("migrator apply .", 0),  # dry run
    ("migrator apply . --write --phase expand", 0),
    ("migrator rollback", 0),
    ("migrator apply . --check", 1),  # rolled back: changes pending again
    ("migrator apply . --write --phase contract", 0),
    ("migrator scan --default-state-dir", 1),
    ("migrator apply --default-state-dir --emit-patches patches", 0),
    ("migrator apply --default-state-dir --write", 0),
    ("migrator gateway --listen 127.0.0.1:18790 --upstream ws://127.0.0.1:18789 --stats", None),
    ("migrator plugin openclaw-plugin", 0),  # the agents' plugin: three files
    ("migrator apply . --write --phase contract", 0),
]


def guide_commands() -> list[str]:
    text = GUIDE.read_text("utf-8")
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, re.M | re.S):
        commands += [line.strip() for line in block.splitlines() if line.strip().startswith("migrator ")]
    return commands


def test_the_guide_lists_the_commands_this_test_runs() -> None:
    assert guide_commands() == [command for command, _ in EXPECTED]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _gateway(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    """The proxy runs until stopped: start it, see it listen, stop it."""
    port = _free_port()
    args = [a if a != "127.0.0.1:18790" else f"127.0.0.1:{port}" for a in args]
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrator", *args], cwd=cwd, env=env,
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        import socket

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("the gateway proxy did not listen")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert f"listening on 127.0.0.1:{port}" in err
    assert "old-vocabulary traffic" in err  # --stats


def test_every_guide_command_works(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "demo", project, ignore=shutil.ignore_patterns(".migrator"))
    state = tmp_path / "home" / ".openclaw"
    shutil.copytree(FIXTURES / "state", state, ignore=shutil.ignore_patterns(".migrator"))
    env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": str(tmp_path / "home")}
    env.pop("OPENCLAW_STATE_DIR", None)
    env.pop("CI", None)
    original = snapshot(project)
    sessions = state / "agents" / "main" / "sessions" / "sessions.json"
    before_store = sessions.read_bytes()
    for command, code in EXPECTED:
        args = shlex.split(command)[1:]
        if "--default-state-dir" in args and ("--write" in args or "--emit-patches" in args):
            # The guide: "after upgrading OpenClaw to 2027.1.0 or later".
            config = state / "openclaw.json"
            config.write_text(re.sub(r'lastTouchedVersion: "[^"]+"', 'lastTouchedVersion: "2027.1.0"', config.read_text()))
        if args[0] == "gateway":
            _gateway(args, project, env)
            continue
        result = subprocess.run(
            [sys.executable, "-m", "migrator", *args], cwd=project, env=env,
            capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == code, f"{command}: {result.returncode}\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stderr, command
        if command == "migrator rollback":
            assert snapshot(project) == original
        if command.endswith("--emit-patches patches"):
            documents = list((project / "patches").rglob("*.json"))
            assert documents, f"no patch written: {result.stdout[-500:]} {result.stderr[-800:]}"
            ops = json.loads(documents[0].read_text())
            assert ops[0]["op"] == "test" and ops[1]["op"] == "replace"
    after = json.loads(sessions.read_text())
    assert {entry.get("status") for entry in after.values()} <= {"running", "interrupted", "waiting_for_response", "agent_responded", "halted", None}
    assert sessions.read_bytes() != before_store
    monitor = (project / "orchestrator" / "monitor.py").read_text()
    assert '"agent_responded"' in monitor and '"done"' not in monitor.split("def nudge")[0]
