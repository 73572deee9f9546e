"""Findings and errors that read well, through the real CLI: a YAML value
behind an anchor says so, database rows are named by their session key and
come sorted, and report files that cannot be written are usage errors."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from conftest import FIXTURES, run_cli, snapshot
from migrator.sqlitedb import connect

DATA_RULE = '[tool.migrator]\n\n[[tool.migrator.data]]\npaths = ["runs.yaml"]\npointers = ["/sessions/*/status"]\n'


def test_yaml_anchor_is_named_not_cannot_locate(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(DATA_RULE)
    (tmp_path / "runs.yaml").write_text("base: &st failed\nsessions:\n  - status: *st\n  - status: done\n")
    before = snapshot(tmp_path)
    for args in (("scan", "."), ("apply", ".", "--write")):
        result = run_cli(*args, cwd=tmp_path)
        assert result.returncode == 3
        assert result.stderr.splitlines()[0] == (
            "error: runs.yaml: the value at /sessions/0/status (line 1) is an anchor (`&st`): a value shared "
            "through YAML anchors and aliases is not edited in place; change it by hand"
        )
    assert snapshot(tmp_path) == before


def _state_with_database(tmp_path: Path) -> tuple[Path, Path, sqlite3.Connection]:
    """The fixture state dir with the real 2026.9.6 agent database in place
    of its sessions.json: the dir, the database and an open connection."""
    state = tmp_path / "state"
    shutil.copytree(FIXTURES / "state", state, ignore=shutil.ignore_patterns(".migrator"))
    (state / "agents" / "main" / "sessions" / "sessions.json").unlink()
    db = state / "agents/main/agent/openclaw-agent.sqlite"
    db.parent.mkdir(parents=True)
    conn = connect(db)
    conn.executescript((FIXTURES / "data" / "openclaw-agent-2026.9.6.sql").read_text("utf-8"))
    return state, db, conn


def test_sqlite_findings_name_the_session_key_sorted(tmp_path: Path) -> None:
    state, db, conn = _state_with_database(tmp_path)
    # Rows inserted out of key order still come sorted by key.
    keys = [k for (k,) in conn.execute("SELECT session_key FROM session_nodes WHERE status = 'failed'")]
    conn.close()
    work = tmp_path / "work"
    work.mkdir()
    (work / "pyproject.toml").write_text("[tool.migrator]\n")
    scan = run_cli("scan", "--state-dir", str(state), cwd=work)
    assert scan.returncode == 1, scan.stderr
    rows = [line for line in scan.stdout.splitlines() if "session_nodes.status of " in line]
    shown = [line.split("session_nodes.status of ")[1].split(": store:")[0] for line in rows]
    assert len(rows) >= len(keys) > 1
    assert shown == sorted(shown) and set(keys) <= set(shown)
    assert (f"{db}: session_nodes.status of {sorted(keys)[0]}: "
            "store:agent-sqlite [certain, review] 'failed' -> 'interrupted'") in rows
    # The why names the key too (JSON and SARIF carry it as well).
    why = run_cli("scan", "--state-dir", str(state), "--show-why", cwd=work).stdout
    assert f"the session status of `{sorted(keys)[0]}` in session_nodes.status of an OpenClaw agent database" in why


def test_database_rows_in_sarif_and_github_have_no_line(tmp_path: Path) -> None:
    import json

    state, db, conn = _state_with_database(tmp_path)
    conn.close()
    sarif = run_cli("scan", "--state-dir", "state", "--format", "sarif", cwd=tmp_path)
    assert sarif.returncode == 1, sarif.stderr
    rows = [r for r in json.loads(sarif.stdout)["runs"][0]["results"] if r["ruleId"] == "store:agent-sqlite"]
    assert rows and all("region" not in r["locations"][0]["physicalLocation"] for r in rows)
    names = [r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for r in rows]
    assert "session_nodes.status[agent:main:main]" in names
    github = run_cli("scan", "--state-dir", "state", "--format", "github", cwd=tmp_path)
    lines = [line for line in github.stdout.splitlines() if "openclaw-agent.sqlite" in line]
    assert lines and not any(",line=" in line for line in lines)


def test_every_command_says_an_error_in_one_form(tmp_path: Path) -> None:
    """scan, apply, gateway and plugin: ``migrator: error: MESSAGE``, one line, exit 2."""
    import socket

    missing = tmp_path / "absent.toml"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        in_use = run_cli("gateway", "--listen", f"127.0.0.1:{port}", cwd=tmp_path, timeout=60)
    cases = [
        (run_cli("scan", ".", "--config", str(missing), cwd=tmp_path),
         f"{missing}: configuration file not found"),
        (run_cli("apply", ".", "--state-dir", "--write", cwd=tmp_path),
         "--state-dir needs a directory, not '--write' (for the default one: --default-state-dir)"),
        (run_cli("gateway", "--listen", "nonsense", cwd=tmp_path, timeout=60),
         "--listen 'nonsense': expected HOST:PORT, like 127.0.0.1:18790"),
        (run_cli("plugin", "out", "--manifest", str(missing), cwd=tmp_path),
         f"{missing}: cannot read manifest: No such file or directory"),
        (run_cli("plugin", "--install", "--state-dir", str(tmp_path / "nowhere"), cwd=tmp_path),
         f"{tmp_path / 'nowhere'}: not an OpenClaw state dir (no such directory)"),
    ]
    for done, message in cases:
        assert (done.returncode, done.stdout, done.stderr) == (2, "", f"migrator: error: {message}\n"), done.args
    assert in_use.returncode == 2
    assert in_use.stderr == f"migrator: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    assert not (tmp_path / "out").exists()


def test_a_store_kept_by_the_version_gate_is_said_in_either_phase(tmp_path: Path) -> None:
    state = tmp_path / "state"
    shutil.copytree(FIXTURES / "state", state, ignore=shutil.ignore_patterns(".migrator"))
    before = snapshot(state)
    kept = ("kept: state/agents/main/sessions/sessions.json: its gateway 2026.7.2 stores old names; "
            "migrate after upgrading, or pass --gateway-version")
    for phase in ("expand", "contract"):
        summary = (f"1 file scanned, 5 findings: 0 to rewrite, 5 to review ({phase} phase); "
                   "1 store kept for its gateway")
        written = run_cli("apply", "--state-dir", "state", "--phase", phase, "--write", "--no-cache", cwd=tmp_path)
        # Only a contract waits for the gateway (exit 1); expand asks nothing of the store.
        waits = 1 if phase == "contract" else 0
        assert (written.returncode, written.stdout) == (waits, "")
        assert written.stderr.splitlines() == [kept, f"0 files rewritten. {summary}"]
        check = run_cli("apply", "--state-dir", "state", "--phase", phase, "--check", "--no-cache", cwd=tmp_path)
        assert check.returncode == waits
        assert check.stderr.splitlines() == [kept, "1 file would be left unchanged."]
        assert snapshot(state) == before
