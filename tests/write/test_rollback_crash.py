"""Crash safety: ``apply --write`` killed (SIGKILL) at every step leaves each
file old or new, never broken; a re-run completes the work and a rollback
restores the originals."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import importlib.util
import sys

from datahelpers import DB_REL, REPO, cli, db_content, make_state, snapshot

from migrator.journal import CRASH_ENV

SESSIONS = "agents/main/sessions/sessions.json"


def _states(tmp: Path) -> tuple[dict[str, bytes], tuple[list[str], int], dict[str, bytes], tuple[list[str], int]]:
    """Old and new bytes of every file, and old and new database content."""
    ref = tmp / "ref"
    state = make_state(ref)
    old_files, old_db = snapshot(state), db_content(state / DB_REL)
    (ref / "original.sqlite").write_bytes((state / DB_REL).read_bytes())
    done = cli("apply", "state", "--write", cwd=ref)
    assert done.returncode == 0, done.stderr
    return old_files, old_db, snapshot(state), db_content(state / DB_REL)


def _assert_old_or_new(state: Path, old: dict[str, bytes], new: dict[str, bytes],
                       old_db: tuple[list[str], int], new_db: tuple[list[str], int]) -> tuple[bool, bool]:
    now = snapshot(state)
    for rel, data in now.items():
        # A temp file beside its target is never the target; a hot SQLite
        # journal is SQLite's own recovery, replayed on the next open.
        if rel.startswith(DB_REL) or "migrator-" in rel:
            continue
        assert data in (old[rel], new[rel]), f"{rel} is broken"
    conn = sqlite3.connect(state / DB_REL)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    # Content: the same statements (a content restore may list the schema's
    # indexes and triggers in another order).
    content = db_content(state / DB_REL)
    assert _same(content, old_db) or _same(content, new_db), "database is neither old nor new"
    return now[SESSIONS] == new[SESSIONS], _same(content, new_db)


def _temps(state: Path) -> list[str]:
    """Temp files a killed write left: beside a user's file, or in the
    journal (a blob being copied, as large as its file)."""
    return [p.relative_to(state).as_posix() for p in state.rglob("*.tmp")]


def _same(a: tuple[list[str], int], b: tuple[list[str], int]) -> bool:
    return (sorted(a[0]), a[1]) == (sorted(b[0]), b[1])


def test_sigkill_at_every_step_then_rerun_or_rollback(tmp_path: Path) -> None:
    old, old_db, new, new_db = _states(tmp_path)
    seen_partial = False
    step = 1
    while True:
        work = tmp_path / f"crash{step}"
        state = make_state(work)
        killed = cli("apply", "state", "--write", cwd=work, env={CRASH_ENV: str(step)})
        if killed.returncode == 0:
            break  # the run has fewer steps than this: every point was covered
        assert killed.returncode == -9, killed.stderr
        json_new, db_new = _assert_old_or_new(state, old, new, old_db, new_db)
        seen_partial |= json_new != db_new
        if step % 2:
            again = cli("apply", "state", "--write", cwd=work)
            assert again.returncode == 0, again.stderr
            assert _assert_old_or_new(state, old, new, old_db, new_db) == (True, True)
            assert _temps(state) == []  # the re-run swept what the killed one left
        else:
            back = cli("rollback", "state", cwd=work)
            assert back.returncode in (0, 2), back.stderr
            if back.returncode == 2:
                assert "nothing to roll back" in back.stderr  # killed before anything was recorded
                assert "Traceback" not in back.stderr
            assert _assert_old_or_new(state, old, new, old_db, new_db) == (False, False)
            # Nothing wrote to the database since the run: its bytes come back.
            assert (state / DB_REL).read_bytes() == (tmp_path / "ref" / "original.sqlite").read_bytes()
            if back.returncode == 0:
                assert _temps(state) == []
        step += 1
    assert step > 5 and seen_partial


def _ledger(state: Path) -> list[dict[str, object]]:
    """Every line of the state dir's one run (none if it was killed first)."""
    ledgers = list((state / ".migrator" / "journal").glob("*/ledger.jsonl"))
    return [json.loads(line) for ledger in ledgers for line in ledger.read_text("utf-8").splitlines()]


def _kill_between_commit_and_done(work: Path, step: int, wal: bool) -> tuple[Path, bytes, bool]:
    """Kill ``apply --write`` at ``step``; whether that fell after the
    database's COMMIT (the file changed) and before its ``done`` line."""
    state = make_state(work)
    if wal:
        conn = sqlite3.connect(state / DB_REL)
        conn.execute("PRAGMA journal_mode=WAL")  # kept in the header, as the gateway leaves it
        conn.close()
    original = (state / DB_REL).read_bytes()
    killed = cli("apply", "state", "--write", cwd=work, env={CRASH_ENV: str(step)})
    assert killed.returncode == -9, f"no step fell between the COMMIT and the done line: {killed.stderr}"
    db = str((state / DB_REL).resolve())
    ops = [(e["op"], e.get("kind")) for e in _ledger(state) if e.get("path") == db]
    return state, original, ops == [("intend", "sqlite")] and (state / DB_REL).read_bytes() != original


def test_killed_between_commit_and_done_the_database_still_rolls_back_byte_for_byte(tmp_path: Path) -> None:
    """A kill after the database's COMMIT but before the journal's ``done``
    line (which records the bytes the run left): nothing wrote to the
    database since, so rollback gives its original bytes back and says
    ``restored``, not that the gateway wrote to it. In rollback-journal mode
    the header's change counter tells; in WAL mode (where a commit leaves it
    as it is) the digest of the content the transaction left does."""
    for step in range(1, 40):
        state, original, between = _kill_between_commit_and_done(tmp_path / f"crash{step}", step, False)
        if between:
            break
    back = cli("rollback", "state", cwd=state.parent)
    assert back.returncode == 0, back.stderr
    assert f"restored: state/{DB_REL}" in back.stderr.splitlines()
    assert (state / DB_REL).read_bytes() == original

    # Was: "restored-content ... (a write-ahead log was in use)", other bytes.
    state, original, between = _kill_between_commit_and_done(tmp_path / "wal", step, True)
    assert between
    assert original[18:20] == b"\x02\x02"  # WAL mode, as the gateway leaves it
    back = cli("rollback", "state", cwd=state.parent)
    assert back.returncode == 0, back.stderr
    assert f"restored: state/{DB_REL}" in back.stderr.splitlines()
    assert (state / DB_REL).read_bytes() == original
    assert not (state / (DB_REL + "-wal")).exists() or (state / (DB_REL + "-wal")).stat().st_size == 0


def test_killed_between_commit_and_done_in_wal_mode_then_written_to_keeps_the_write(tmp_path: Path) -> None:
    """The same kill, then the gateway writes to another table and closes
    (its log checkpointed into the file): the content differs from what the
    run left, so rollback restores the session tables only and keeps the write."""
    step = next(s for s in range(1, 40)
                if _kill_between_commit_and_done(tmp_path / f"probe{s}", s, False)[2])
    state, original, between = _kill_between_commit_and_done(tmp_path / "wal", step, True)
    assert between
    gateway = sqlite3.connect(state / DB_REL)
    gateway.execute("INSERT INTO schema_meta VALUES ('last_seen', '42')")
    gateway.commit()
    gateway.close()
    assert not (state / (DB_REL + "-wal")).exists()
    back = cli("rollback", "state", cwd=state.parent)
    assert back.returncode == 0, back.stderr
    assert (f"restored-content: state/{DB_REL} (the database was written to since the run: its session tables "
            "are restored from the journal's copy, other tables keep what was written since, the file's bytes "
            "differ)") in back.stderr.splitlines()
    conn = sqlite3.connect(state / DB_REL)
    try:
        assert conn.execute("SELECT value FROM schema_meta WHERE key = 'last_seen'").fetchone() == ("42",)
    finally:
        conn.close()
    (tmp_path / "wal-original.sqlite").write_bytes(original)
    with sqlite3.connect(tmp_path / "wal-original.sqlite") as before:
        statuses = sorted(before.execute("SELECT session_key, status FROM session_nodes"))
    with sqlite3.connect(state / DB_REL) as after:
        assert sorted(after.execute("SELECT session_key, status FROM session_nodes")) == statuses


def test_a_gateway_writing_through_its_write_ahead_log_since_the_run_is_named(tmp_path: Path) -> None:
    """The run left the database without a log; since, the gateway opened it
    in WAL mode and wrote (its log still open): rollback restores the content
    and says the database was written to, not that the run failed to record."""
    state = make_state(tmp_path)
    assert cli("apply", "state", "--write", cwd=tmp_path).returncode == 0
    gateway = sqlite3.connect(state / DB_REL)
    assert gateway.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    gateway.execute("INSERT INTO schema_meta VALUES ('last_seen', '42')")
    gateway.commit()
    try:
        back = cli("rollback", "state", cwd=tmp_path)
    finally:
        gateway.close()
    assert back.returncode == 0, back.stderr
    assert (f"restored-content: state/{DB_REL} (the database was written to since the run: its session tables "
            "are restored from the journal's copy, other tables keep what was written since, the file's bytes "
            "differ)") in back.stderr.splitlines()


def test_stale_plan_is_not_overwritten(tmp_path: Path) -> None:
    """A file changed between reading and writing is reported and kept."""
    from migrator import pipeline
    from migrator.write import write as write_run
    from migrator.config import load_options

    state = make_state(tmp_path)
    options = load_options([str(state)], cwd=tmp_path)
    run = pipeline.run(options)
    target = state / SESSIONS
    edited = target.read_bytes().replace(b'"label": "run tests"', b'"label": "run tests!"')
    target.write_bytes(edited)
    conn = sqlite3.connect(state / DB_REL)
    conn.execute("UPDATE session_windows SET status='failed' WHERE window_id=1")
    conn.commit()
    conn.close()
    outcome = write_run(run)
    assert sorted(outcome.stale) == sorted(r.display for r in run.changed)
    assert target.read_bytes() == edited
    assert json.loads(edited)["agent:main:main"]["status"] == "running"


def _soak() -> object:
    spec = importlib.util.spec_from_file_location("crash_soak", REPO / "bench" / "crash_soak.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["crash_soak"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_sigkill_at_random_moments_over_real_stores(tmp_path: Path) -> None:
    """bench/crash_soak.py, small: two sessions.json stores and the real
    2026.9.6 database, killed at random moments; every check is the bench's."""
    soak = _soak()
    lines = list(soak.soak(tmp_path, stores=2, sessions=300, kills=3, seed=3))  # type: ignore[attr-defined]
    assert len(lines) == 5 and lines[0].startswith("state dir: 2 sessions.json stores of 300 sessions")
    assert [line.split(",")[0] for line in lines[1:4]] == ["kill 1", "kill 2", "kill 3"]
    assert lines[4].startswith("3 kills: ") and "complete applies: 3," in lines[4]  # the reference, two re-runs
