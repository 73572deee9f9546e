"""Bad data input through the real CLI: one line naming the file, exit 3,
nothing lost."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from datahelpers import DB_REL, cli, make_state, snapshot

SESSIONS = "agents/main/sessions/sessions.json"


def _one_error_line(stderr: str, name: str) -> None:
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and name in errors[0], stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("content, words", [
    (b'{"agent:main:main": {"status": "done"},}', "invalid JSON"),
    (b'{"a": {"status": "done"}, "a": {"status": "failed"}}', "duplicate key"),
])
def test_broken_store_json(tmp_path: Path, content: bytes, words: str) -> None:
    state = make_state(tmp_path, db=False)
    (state / SESSIONS).write_bytes(content)
    before = snapshot(state)
    out = cli("apply", "state", "--write", cwd=tmp_path)
    assert out.returncode == 3
    _one_error_line(out.stderr, "sessions.json")
    assert words in out.stderr
    assert snapshot(state) == before


def test_jsonl_line_that_does_not_parse(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.migrator]\nphase = "contract"\n[[tool.migrator.data]]\n'
                                             'paths = ["*.jsonl"]\npointers = ["/status"]\n')
    data = b'{"status":"done"}\n{"status": "failed"\n{"status":"killed"}\n'
    (tmp_path / "e.jsonl").write_bytes(data)
    out = cli("apply", "--write", cwd=tmp_path)
    assert out.returncode == 3
    _one_error_line(out.stderr, "e.jsonl")
    assert "line 2" in out.stderr
    assert (tmp_path / "e.jsonl").read_bytes() == data


@pytest.mark.parametrize("early", [True, False])
def test_jsonl_duplicate_top_level_status_is_refused(tmp_path: Path, early: bool) -> None:
    # Two top-level `status` keys: which value /status names is ambiguous.
    # Early in the file (findings still listed, line by line) or past the
    # first thousand changes (whole blocks), the file is left as it is.
    (tmp_path / "pyproject.toml").write_text('[tool.migrator]\nphase = "contract"\n[[tool.migrator.data]]\n'
                                             'paths = ["*.jsonl"]\npointers = ["/status"]\n')
    rows = [b'{"key":"k%d","status":"done","last":{"status":"failed"}}\n' % i for i in range(3000)]
    bad = 5 if early else 2500
    rows[bad] = b'{"key":"dup","status":"running","last":{"status":"x"},"status":"done"}\n'
    data = b"".join(rows)
    (tmp_path / "e.jsonl").write_bytes(data)
    out = cli("apply", "--write", cwd=tmp_path)
    assert out.returncode == 3
    _one_error_line(out.stderr, "e.jsonl")
    assert f"line {bad + 1} is not valid JSON: duplicate key 'status'" in out.stderr
    assert (tmp_path / "e.jsonl").read_bytes() == data


def test_locked_database(tmp_path: Path) -> None:
    state = make_state(tmp_path)
    holder = sqlite3.connect(state / DB_REL, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        out = cli("apply", "state", "--write", cwd=tmp_path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert out.returncode == 3
    _one_error_line(out.stderr, "openclaw-agent.sqlite")
    assert "locked" in out.stderr


def test_corrupt_database(tmp_path: Path) -> None:
    state = make_state(tmp_path)
    db = state / DB_REL
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page
    db.write_bytes(bytes(data))
    out = cli("apply", "state", "--write", cwd=tmp_path)
    assert out.returncode == 3
    _one_error_line(out.stderr, "openclaw-agent.sqlite")
    assert db.read_bytes() == bytes(data)


def test_read_only_file(tmp_path: Path) -> None:
    state = make_state(tmp_path, db=False)
    target = state / SESSIONS
    os.chmod(target, 0o444)
    before = target.read_bytes()
    out = cli("apply", "state", "--write", cwd=tmp_path)
    assert out.returncode == 3
    _one_error_line(out.stderr, "sessions.json")
    assert "read-only" in out.stderr and target.read_bytes() == before


def test_symlink_out_of_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.json"
    outside.write_bytes(b'{"x": {"status": "done"}}\n')
    state = make_state(tmp_path / "s", db=False)
    (state / SESSIONS).unlink()
    (state / SESSIONS).symlink_to(outside)
    out = cli("apply", f"s/state/{SESSIONS}", "--write", cwd=tmp_path)
    assert out.returncode == 3
    _one_error_line(out.stderr, "sessions.json")
    assert "outside" in out.stderr
    assert outside.read_bytes() == b'{"x": {"status": "done"}}\n' and (state / SESSIONS).is_symlink()


def test_store_engines_refuse_a_symlink_out_of_the_root(tmp_path: Path) -> None:
    # The check every engine that opens its own files shares (StoreEngine).
    project = tmp_path / "s"
    state = make_state(project)
    outside_db = tmp_path / "elsewhere.sqlite"
    os.replace(state / DB_REL, outside_db)
    (state / DB_REL).symlink_to(outside_db)
    (project / "pyproject.toml").write_text('[tool.migrator]\nphase = "contract"\n[[tool.migrator.data]]\n'
                                            'paths = ["*.jsonl"]\npointers = ["/status"]\n')
    outside_jsonl = tmp_path / "elsewhere.jsonl"
    outside_jsonl.write_bytes(b'{"status": "done"}\n')
    (project / "rows.jsonl").symlink_to(outside_jsonl)
    db_before = outside_db.read_bytes()
    out = cli("apply", f"state/{DB_REL}", "rows.jsonl", "--write", cwd=project)
    assert out.returncode == 3, out.stdout + out.stderr
    errors = sorted(line for line in out.stderr.splitlines() if line.startswith("error:"))
    assert len(errors) == 2, out.stderr
    assert "rows.jsonl" in errors[0] and "openclaw-agent.sqlite" in errors[1], out.stderr
    assert all("outside" in line for line in errors)
    assert outside_db.read_bytes() == db_before and outside_jsonl.read_bytes() == b'{"status": "done"}\n'
    assert (state / DB_REL).is_symlink() and (project / "rows.jsonl").is_symlink()
