"""Every session store a state dir's config points to is found, listed with
where it came from, migrated once and rolled back; a store the config names
that does not exist is a warning (fixtures/state-moved, state-shared,
state-missing)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from datahelpers import FIXTURES, build_db, cli, db_content, snapshot

from migrator.manifest import load_manifest
from migrator.statedir import load, read_config, workspaces


def _copy(tmp_path: Path, name: str) -> tuple[Path, dict[str, str]]:
    work = tmp_path / "work"
    shutil.copytree(FIXTURES / name, work, ignore=shutil.ignore_patterns(".migrator"))
    for keep in work.rglob(".keep"):
        keep.unlink()
    return work, {"OPENCLAW_HOME": str(work / "home"), "OPENCLAW_STATE_DIR": "", "OPENCLAW_CONFIG_PATH": ""}


def _listing(work: Path, env: dict[str, str]) -> list[str]:
    """``scan --state-dir state``'s lines about the state dir (exit 1: findings)."""
    scan = cli("scan", "--state-dir", "state", cwd=work, env=env)
    assert scan.returncode == 1, scan.stdout + scan.stderr
    lines = scan.stdout.splitlines()
    return lines[next(i for i, line in enumerate(lines) if line.startswith("OpenClaw state dir")) : -1]


def _statuses(db: Path) -> dict[str, str | None]:
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT session_key, status FROM session_nodes"))
    finally:
        conn.close()


def test_a_templated_session_store_moves_each_agents_store(tmp_path: Path) -> None:
    work, env = _copy(tmp_path, "state-moved")
    db = build_db(work / "home" / "stores" / "work" / "openclaw-agent.sqlite")
    before, original = snapshot(work), db_content(db)
    scan = cli("scan", "--state-dir", "state", cwd=work, env=env)
    assert scan.returncode == 1, scan.stderr
    assert scan.stderr == ""
    assert scan.stdout.splitlines()[-4:-1] == [
        "OpenClaw state dir state (config state/openclaw.json, last written by 2027.1.0): 2 stores",
        "  home/stores/main/sessions.json: sessions-json, from session.store, agent main",
        "  home/stores/work/openclaw-agent.sqlite: agent-sqlite, from session.store, agent work",
    ]
    done = cli("apply", "--write", "--state-dir", "state", cwd=work, env=env)
    assert done.returncode == 0, done.stderr
    sessions = (work / "home" / "stores" / "main" / "sessions.json").read_text("utf-8")
    assert sessions == before["home/stores/main/sessions.json"].decode().replace(
        '"status": "done"', '"status": "agent_responded"')
    assert '"status": "queued"' in sessions and '"status": "running"' in sessions
    assert _statuses(db)["agent:main:subagent:7a8b9c0d"] == "interrupted"
    back = cli("rollback", cwd=work, env=env)
    assert back.returncode == 0, back.stderr
    after = snapshot(work)
    assert after.pop("home/stores/work/openclaw-agent.sqlite") and db_content(db) == original
    assert after == {rel: data for rel, data in before.items() if rel != "home/stores/work/openclaw-agent.sqlite"}


def test_agents_sharing_one_sqlite_store_migrate_it_once(tmp_path: Path) -> None:
    work, env = _copy(tmp_path, "state-shared")
    db = build_db(work / "home" / "shared" / "sessions.sqlite")
    scan = cli("scan", "--state-dir", "state", "--format", "json", cwd=work, env=env)
    assert scan.returncode == 1, scan.stderr
    document = json.loads(scan.stdout)
    assert document["state_dirs"][0]["stores"] == [{
        "path": str(db), "store": "agent-sqlite", "agents": ["main", "work"],
        "from": "session.store, owner main (agents.defaults.sessionStore.agentId)"}]
    findings = document["findings"]
    assert {f["path"] for f in findings} == {"home/shared/sessions.sqlite"}
    keys = [(f["table"], f["column"], f["key"], f.get("pointer")) for f in findings]
    assert len(keys) == len(set(keys)) == 13  # each row once, not once per agent
    done = cli("apply", "--write", "--state-dir", "state", cwd=work, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("rewrote home/shared/sessions.sqlite") == 1
    assert _statuses(db)["agent:main:subagent:c4d5e6f7"] == "waiting_for_response"
    ledgers = list((work / ".migrator" / "journal").glob("*/ledger.jsonl"))
    entries = [json.loads(line) for line in ledgers[0].read_text("utf-8").splitlines()]
    assert [Path(e["path"]).name for e in entries if e.get("op") == "intend"] == ["sessions.sqlite"]


def test_a_fixed_legacy_store_keeps_the_owners_database_and_the_other_agents_partitions(tmp_path: Path) -> None:
    work, env = _copy(tmp_path, "state-shared")
    config = work / "state" / "openclaw.json"
    config.write_text(config.read_text("utf-8").replace("~/shared/sessions.sqlite", "~/shared/sessions.json"), "utf-8")
    build_db(work / "home" / "shared" / "openclaw-agent.sqlite")
    build_db(work / "home" / "shared" / "openclaw-agent.work.sqlite")
    (work / "home" / "shared" / "openclaw-agent.work.sqlite-wal").write_bytes(b"")
    assert _listing(work, env) == [
        "OpenClaw state dir state (config state/openclaw.json, last written by 2027.1.0): 2 stores",
        "  home/shared/openclaw-agent.sqlite: agent-sqlite, from session.store, owner main "
        "(agents.defaults.sessionStore.agentId), shared by agents main, work",
        "  home/shared/openclaw-agent.work.sqlite: agent-sqlite, from session.store (an agent's partition), agent work",
    ]


def test_a_store_the_config_names_that_does_not_exist_is_a_warning(tmp_path: Path) -> None:
    work, env = _copy(tmp_path, "state-missing")
    config = work / "state" / "openclaw.json"
    home = work / "home"
    scan = cli("scan", "--state-dir", "state", cwd=work, env=env)
    assert scan.returncode == 1, scan.stderr  # the default store's finding
    assert scan.stderr.splitlines() == [
        f"warning: {config}: session.store '~/gone/{{agentId}}/sessions.json' (agent {agent}) names no existing "
        f"store: no {home}/gone/{agent}/sessions.json or {home}/gone/{agent}/openclaw-agent.sqlite"
        for agent in ("main", "work")]
    assert scan.stdout.splitlines()[-3:-1] == [
        "OpenClaw state dir state (config state/openclaw.json, last written by 2027.1.0): 1 store",
        "  state/agents/main/sessions/sessions.json: sessions-json, from default path "
        "agents/*/sessions/sessions.json, agent main",
    ]
    apply = cli("apply", "--state-dir", "state", cwd=work, env=env)
    assert apply.returncode == 0 and apply.stderr.startswith("warning: ")


def test_the_gateways_config_path_moves_its_stores(tmp_path: Path) -> None:
    work, env = _copy(tmp_path, "state-moved")
    moved = work / "etc" / "gateway.json5"
    moved.parent.mkdir()
    (work / "state" / "openclaw.json").rename(moved)
    env.update(OPENCLAW_STATE_DIR=str(work / "state"), OPENCLAW_CONFIG_PATH=str(moved))
    scan = cli("scan", "--default-state-dir", "--format", "json", cwd=work, env=env)
    assert scan.returncode == 1, scan.stderr
    (state,) = json.loads(scan.stdout)["state_dirs"]
    assert state["config"] == str(moved) and state["gateway"] == "2027.1.0"
    assert [s["path"] for s in state["stores"]] == [str(work / "home" / "stores" / "main" / "sessions.json")]
    assert "warning: " in scan.stderr and "(agent work)" in scan.stderr  # no database built for work here


def test_the_config_is_read_once_for_stores_version_and_workspaces(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "openclaw.json").write_text("{meta: {lastTouchedVersion: '2027.1.0'}, agents: {defaults: "
                                        "{workspace: 'crew-ws'}}}\n", "utf-8")
    read_config.cache_clear()
    found = load(state, load_manifest())
    assert found.version_text == "2027.1.0" and found.workspaces[0] == state / "crew-ws"
    assert workspaces(state / "openclaw.json") == found.workspaces
    assert read_config.cache_info().misses == 1


def test_the_single_agent_store_of_old_installs_is_found(tmp_path: Path) -> None:
    work, env = _copy(tmp_path, "state-missing")
    config = work / "state" / "openclaw.json"
    config.write_text(config.read_text("utf-8").replace('session: { store: "~/gone/{agentId}/sessions.json" },', ""),
                      "utf-8")
    old = work / "state" / "sessions"
    old.mkdir()
    (old / "sessions.json").write_text('{"agent:main:main": {"status": "killed"}}\n', "utf-8")
    done = cli("apply", "--write", "--state-dir", "state", cwd=work, env=env)
    assert done.returncode == 0, done.stderr
    assert (old / "sessions.json").read_text("utf-8") == '{"agent:main:main": {"status": "halted"}}\n'
    scan = cli("scan", "--state-dir", "state", cwd=work, env=env)
    assert "  state/sessions/sessions.json: sessions-json, from the single-agent store of old installs " \
           "(sessions/sessions.json), agent main" in scan.stdout.splitlines()


def test_a_state_dir_from_before_the_openclaw_name_is_the_default(tmp_path: Path) -> None:
    work, env = _copy(tmp_path, "state-missing")
    old = work / "home" / ".clawdbot"
    old.parent.mkdir()
    (work / "state").rename(old)
    (old / "openclaw.json").rename(old / "clawdbot.json")
    scan = cli("scan", "--default-state-dir", cwd=work, env=env)
    assert scan.returncode == 1, scan.stderr
    assert "OpenClaw state dir home/.clawdbot (config home/.clawdbot/clawdbot.json, last written by 2027.1.0): " \
           "1 store" in scan.stdout.splitlines()


def test_an_unreadable_config_is_a_warning_beside_the_version_it_hides(tmp_path: Path) -> None:
    work, env = _copy(tmp_path, "state-missing")
    config = work / "state" / "openclaw.json"
    config.write_text("{meta: {lastTouchedVersion: '2027.1.0'}\n", "utf-8")  # the closing brace is gone
    scan = cli("scan", "--state-dir", "state", cwd=work, env=env)
    assert scan.returncode == 1
    kept, warning = scan.stderr.splitlines()
    assert kept.startswith("kept: state/agents/main/sessions/sessions.json: its gateway (version unknown: ")
    assert warning.startswith(f"warning: {config} cannot be read (") and \
        warning.endswith("): the stores it may name are not looked for")
    assert "[certain, review]" in scan.stdout  # its gateway's version is unknown: nothing written


def test_the_text_engine_finds_workspaces_through_the_gateways_config_path(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "crew-ws").mkdir(parents=True)
    (state / "crew-ws" / "USER.md").write_text("When a session's status is `failed`, ask me.\n", "utf-8")
    config = tmp_path / "etc" / "openclaw.json"
    config.parent.mkdir()
    config.write_text("{agents: {defaults: {workspace: 'crew-ws'}}}\n", "utf-8")
    env = {"OPENCLAW_STATE_DIR": str(state), "OPENCLAW_CONFIG_PATH": str(config)}
    scan = cli("scan", "--default-state-dir", "--format", "json", cwd=tmp_path, env=env)
    assert [(f["path"], f["rule"], f["old"]) for f in json.loads(scan.stdout)["findings"]] == [
        ("state/crew-ws/USER.md", "prompt-status", "failed")]
    alone = cli("scan", "--default-state-dir", "--format", "json", cwd=tmp_path, env={**env, "OPENCLAW_CONFIG_PATH": ""})
    assert json.loads(alone.stdout)["findings"] == []


def test_the_state_databases_registry_names_agent_databases_elsewhere(tmp_path: Path) -> None:
    work, env = _copy(tmp_path, "state-missing")
    state = work / "state"
    config = state / "openclaw.json"
    config.write_text(config.read_text("utf-8").replace('session: { store: "~/gone/{agentId}/sessions.json" },', ""),
                      "utf-8")
    own = build_db(state / "agents" / "main" / "agent" / "openclaw-agent.sqlite")
    retired = build_db(work / "home" / "retired" / "openclaw-agent.sqlite")
    (state / "state").mkdir()
    registry = sqlite3.connect(state / "state" / "openclaw.sqlite")
    registry.executescript(
        "CREATE TABLE agent_databases (agent_id TEXT NOT NULL, path TEXT NOT NULL, schema_version INTEGER NOT NULL,"
        " last_seen_at INTEGER NOT NULL, size_bytes INTEGER, PRIMARY KEY (agent_id, path)) STRICT;")
    registry.executemany("INSERT INTO agent_databases VALUES (?, ?, 23, 0, NULL)", [
        ("main", "agents/main/agent/openclaw-agent.sqlite"), ("old", str(retired)),
        ("gone", str(work / "home" / "deleted.sqlite"))])
    registry.commit()
    registry.close()
    assert _listing(work, env) == [
        "OpenClaw state dir state (config state/openclaw.json, last written by 2027.1.0): 3 stores",
        "  state/agents/main/sessions/sessions.json: sessions-json, from default path "
        "agents/*/sessions/sessions.json, agent main",
        "  state/agents/main/agent/openclaw-agent.sqlite: agent-sqlite, from state/openclaw.sqlite (agent_databases), "
        "agent main",
        "  home/retired/openclaw-agent.sqlite: agent-sqlite, from state/openclaw.sqlite (agent_databases), agent old",
    ]
    done = cli("apply", "--write", "--state-dir", "state", cwd=work, env=env)
    assert done.returncode == 0, done.stderr
    assert _statuses(retired)["agent:main:subagent:7a8b9c0d"] == "interrupted"
    assert _statuses(own)["agent:main:subagent:7a8b9c0d"] == "interrupted"


def test_the_database_beside_a_legacy_store_is_where_the_gateway_keeps_it() -> None:
    """2026.9's resolveUnsuffixedSqliteTargetFromSessionStorePath, and
    whether other agents get partitions (checked against `openclaw doctor
    --fix`, which imported ~/stores/main/sessions.json into
    ~/stores/main/openclaw-agent.sqlite)."""
    from migrator.statedir import _database_for

    legacy, database = "agents/*/sessions/sessions.json", "agents/*/agent/openclaw-agent.sqlite"
    assert [_database_for(Path(p), legacy, database) for p in (
        "/h/.openclaw/agents/bob/sessions/sessions.json", "/h/stores/main/sessions.json", "/h/s/alice.json",
        "/h/shared.sqlite")] == [
        (Path("/h/.openclaw/agents/bob/agent/openclaw-agent.sqlite"), False),
        (Path("/h/stores/main/openclaw-agent.sqlite"), True), (Path("/h/s/alice.sqlite"), True),
        (Path("/h/shared.sqlite"), False)]
