"""Built-in OpenClaw stores through the real CLI: what moves, what never
does, and the version gate."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from datahelpers import DB_REL, OLD_GATEWAY, cli, db_content, make_state, snapshot

SESSIONS = "agents/main/sessions/sessions.json"
NEVER = [p for p in ("openclaw.json", "subagents/runs.json", "cron/jobs.json", "cron/runs/nightly-digest.jsonl")]

RENAMES = {'"status": "done"': '"status": "agent_responded"', '"status": "failed"': '"status": "interrupted"',
           '"status": "killed"': '"status": "halted"', '"status": "timeout"': '"status": "waiting_for_response"'}


def _expected_sessions(before: bytes) -> bytes:
    text = before.decode()
    for old, new in RENAMES.items():
        text = text.replace(old, new)
    return text.encode()


def test_apply_write_changes_only_status_bytes_and_never_paths_stay_identical(tmp_path: Path) -> None:
    state = make_state(tmp_path)
    before = snapshot(state)
    done = cli("apply", "state", "--write", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    after = snapshot(state)
    assert after[SESSIONS] == _expected_sessions(before[SESSIONS])
    for rel, data in before.items():
        if rel not in (SESSIONS, DB_REL):
            assert after[rel] == data, f"{rel} must never change"
    assert all(n in before for n in NEVER)
    assert any(r.endswith(".jsonl") and r.startswith("agents/") for r in before)
    again = cli("apply", "state", "--check", cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr


def test_scan_json_reports_pointers_and_sqlite_locations(tmp_path: Path) -> None:
    make_state(tmp_path)
    out = cli("scan", "state", "--format", "json", cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    findings = json.loads(out.stdout)["findings"]
    sessions = [f for f in findings if f["kind"] == "json"]
    assert {f["pointer"] for f in sessions} >= {"/agent:main:subagent:7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d/status"}
    assert all(f["action"] == "rewrite" and f["confidence"] == "certain" for f in findings)
    rows = [f for f in findings if f["kind"] == "sqlite"]
    assert {(f["table"], f["column"]) for f in rows} == {
        ("session_nodes", "status"), ("session_windows", "status"), ("session_nodes", "entry_json")}
    assert any(f["key"] == "agent:main:subagent:7a8b9c0d" and f["old"] == "failed" for f in rows)


def test_expand_under_an_old_gateway_reviews_and_changes_nothing(tmp_path: Path) -> None:
    state = make_state(tmp_path, gateway=None)
    before = snapshot(state)
    out = cli("scan", "state", "--format", "json", cwd=tmp_path)
    findings = json.loads(out.stdout)["findings"]
    assert findings and all(f["action"] == "review" for f in findings)
    assert OLD_GATEWAY in findings[0]["why"]
    done = cli("apply", "state", "--write", cwd=tmp_path)
    # Kept for its gateway and said so, as in contract; expand waits for nothing (exit 0).
    assert done.returncode == 0, done.stderr
    assert f"kept: state/{SESSIONS}: its gateway {OLD_GATEWAY} stores old names; migrate after upgrading, " \
        "or pass --gateway-version" in done.stderr.splitlines()
    assert snapshot(state) == before


def test_contract_under_an_old_gateway_is_refused_with_what_to_do(tmp_path: Path) -> None:
    state = make_state(tmp_path, gateway="2026.12.9-beta.1")
    before = snapshot(state)
    done = cli("apply", "state", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # kept: work waits for the gateway, no input is broken
    assert (f"kept: state/{SESSIONS}: its gateway 2026.12.9-beta.1 stores old names; migrate after upgrading, "
            "or pass --gateway-version") in done.stderr.splitlines()
    assert "could not be read" not in done.stderr and "kept for their gateway" in done.stderr
    assert snapshot(state) == before


def test_gateway_version_flag_overrides_and_versions_compare_as_versions(tmp_path: Path) -> None:
    state = make_state(tmp_path, gateway=None)
    # "2027.1.0-1" is a correction after 2027.1.0; as text it would sort before "2027.1.0a".
    done = cli("apply", "state", "--write", "--gateway-version", "2027.1.0-1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert b"agent_responded" in (state / SESSIONS).read_bytes()
    state2 = make_state(tmp_path / "b", gateway="2027.1.0-beta.3")  # a pre-release: not yet
    out = cli("scan", "b/state", "--format", "json", cwd=tmp_path)
    assert all(f["action"] == "review" for f in json.loads(out.stdout)["findings"])
    assert state2.exists()


def test_state_dir_option_uses_openclaw_state_dir(tmp_path: Path) -> None:
    state = make_state(tmp_path)
    out = cli("scan", "--default-state-dir", "--format", "json", cwd=tmp_path, env={"OPENCLAW_STATE_DIR": str(state)})
    assert out.returncode == 1, out.stderr
    assert any(f["kind"] == "sqlite" for f in json.loads(out.stdout)["findings"])


def test_emit_patches_writes_test_replace_documents(tmp_path: Path) -> None:
    make_state(tmp_path)
    out = cli("apply", "state", "--emit-patches", "patches", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    patch = json.loads((tmp_path / "patches" / "state__agents__main__sessions__sessions.json.patch.json").read_text())
    assert patch[0]["op"] == "test" and patch[1]["op"] == "replace" and patch[0]["path"] == patch[1]["path"]
    import jsonpatch

    doc = json.loads((tmp_path / "state" / SESSIONS).read_text())
    patched = jsonpatch.apply_patch(doc, patch)
    assert sum(1 for v in patched.values() if v.get("status") == "agent_responded") == 2
    db = json.loads((tmp_path / "patches" / "state__agents__main__agent__openclaw-agent.sqlite.patch.json").read_text())
    assert {s["table"] for s in db["schema"]} == {"session_nodes", "session_windows"}


def test_user_rules_for_jsonl_yaml_toml_json5_in_contract(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.migrator]\n[[tool.migrator.data]]\npaths = ["exports/**/*.jsonl", "conf/*"]\n'
        'pointers = ["/status", "/sessions/*/status"]\n', "utf-8")
    exports = tmp_path / "exports" / "2026"
    exports.mkdir(parents=True)
    (exports / "s.jsonl").write_bytes(b'{"status":"done","meta":{"status":"done"}}\n{"status":"running"}\n')
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "w.yaml").write_text("# watchdog\nstatus: killed  # alert\n")
    (conf / "d.toml").write_text("# dash\nstatus = 'timeout' # x\n")
    (conf / "p.json5").write_text("{/* c */ sessions: [{status: 'failed',},],}\n")
    expand = cli("apply", "--check", cwd=tmp_path)
    assert expand.returncode == 0, expand.stdout + expand.stderr  # expand: review only
    done = cli("apply", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (exports / "s.jsonl").read_bytes() == b'{"status":"agent_responded","meta":{"status":"done"}}\n{"status":"running"}\n'
    assert (conf / "w.yaml").read_text() == "# watchdog\nstatus: halted  # alert\n"
    assert (conf / "d.toml").read_text() == "# dash\nstatus = 'waiting_for_response' # x\n"
    assert (conf / "p.json5").read_text() == "{/* c */ sessions: [{status: 'interrupted',},],}\n"
    back = cli("rollback", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    assert (exports / "s.jsonl").read_bytes().startswith(b'{"status":"done"')


def test_sqlite_store_migrated_in_place_and_rolled_back_to_identical_content(tmp_path: Path) -> None:
    state = make_state(tmp_path)
    db = state / DB_REL
    original = db_content(db)
    conn = sqlite3.connect(db)
    untouched_sql = {n: s for n, s in conn.execute("SELECT name, sql FROM sqlite_master") if n not in (
        "session_nodes", "session_windows")}
    conn.close()
    done = cli("apply", "state", "--write", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(db)
    try:
        rows = dict(conn.execute("SELECT session_key, status FROM session_nodes"))
        assert rows["agent:main:subagent:7a8b9c0d"] == "interrupted"
        assert rows["agent:main:subagent:c4d5e6f7"] == "waiting_for_response"
        assert rows["agent:main:main"] == "running" and rows["agent:main:telegram:group:-1001234567890"] is None
        entry = conn.execute("SELECT entry_json FROM session_nodes WHERE session_key='agent:main:subagent:0e1f2a3b'").fetchone()[0]
        assert entry == '{ "sessionId": "c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f", "status": "halted", "abortedLastRun": true }'
        nested = conn.execute("SELECT entry_json FROM session_nodes WHERE session_key='agent:main:subagent:3f1c2a9e'").fetchone()[0]
        assert '"result":{"status":"done"}' in nested and '"status":"agent_responded"' in nested
        assert sorted(conn.execute("SELECT status FROM session_windows WHERE status IS NOT NULL")) == sorted(
            [("running",), ("agent_responded",), ("interrupted",), ("halted",), ("waiting_for_response",)])
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 23
        assert conn.execute("SELECT value FROM schema_meta WHERE key='openclaw_version'").fetchone()[0] == "2026.9.6"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("INSERT INTO session_search(session_search) VALUES('integrity-check')")
        assert conn.execute("SELECT rowid FROM session_search WHERE session_search MATCH 'repo'").fetchall() == [(2,)]
        assert conn.execute("SELECT count(*) FROM session_events").fetchone()[0] == 0, "no trigger may fire"
        names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('index','trigger')")}
        assert {"session_nodes_status", "session_nodes_parent", "session_windows_session", "session_nodes_touch",
                "session_nodes_search_ai", "session_nodes_search_ad"} <= names
        now = {n: s for n, s in conn.execute("SELECT name, sql FROM sqlite_master")}
        for name, sql in untouched_sql.items():
            assert now[name] == sql, f"{name} must not change"
        for table in ("session_nodes", "session_windows"):
            assert "'running', 'done', 'failed', 'killed', 'timeout'" in now[table] or \
                "'running','done','failed','killed','timeout'" in now[table]
            assert "'halted'" in now[table] and "STRICT" in now[table]
        # Both vocabularies are allowed now; other CHECKs still refuse new names.
        conn.execute("UPDATE session_windows SET status='failed' WHERE window_id=1")
        conn.execute("UPDATE session_windows SET status='halted' WHERE window_id=1")
        try:
            conn.execute("INSERT INTO heartbeat_outcomes (session_key, outcome, at) VALUES ('agent:main:main', 'agent_responded', 1)")
            raise AssertionError("heartbeat_outcomes CHECK must be untouched")
        except sqlite3.IntegrityError:
            pass
        conn.rollback()
    finally:
        conn.close()
    back = cli("rollback", "state", cwd=tmp_path)  # the state dir keeps its own journal
    assert back.returncode == 0, back.stderr
    assert db_content(db) == original
