"""SQL written in an f-string names its table as a plain string does: a
helper that binds a list to `status IN ({marks})` over `session_nodes` is
read, and the list its caller passes is a session collection. The same
helper over the project's own `jobs` table stays as it is."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

STATS = '''import sqlite3


def count(db: sqlite3.Connection, wanted: list[str]) -> int:
    marks = ", ".join("?" for _ in wanted)
    sql = f"SELECT COUNT(*) FROM session_nodes WHERE status IN ({marks})"
    return db.execute(sql, tuple(wanted)).fetchone()[0]


def ended(db: sqlite3.Connection) -> int:
    return count(db, ["done", "failed"])
'''

JOBS = '''import sqlite3


def count(db: sqlite3.Connection, wanted: list[str]) -> int:
    marks = ", ".join("?" for _ in wanted)
    sql = f"SELECT COUNT(*) FROM jobs WHERE state IN ({marks})"
    return db.execute(sql, tuple(wanted)).fetchone()[0]


def ended(db: sqlite3.Connection) -> int:
    return count(db, ["done", "failed"])
'''

CALL = '''import sqlite3, sys

from stats import ended

db = sqlite3.connect(sys.argv[1])
print(ended(db))
'''


def _tree(root: Path) -> None:
    (root / "pyproject.toml").write_text('[project]\nname = "stats"\n', "utf-8")
    (root / "stats.py").write_text(STATS, "utf-8")
    (root / "jobs.py").write_text(JOBS, "utf-8")
    (root / "call.py").write_text(CALL, "utf-8")


def _store(path: Path, statuses: list[str]) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE session_nodes (key TEXT PRIMARY KEY, status TEXT)")
        db.executemany("INSERT INTO session_nodes VALUES (?, ?)", [(f"s{i}", s) for i, s in enumerate(statuses)])
    return path


def _ended(root: Path, store: Path) -> str:
    done = subprocess.run([sys.executable, "call.py", str(store)], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_list_bound_to_an_fstring_query_of_session_nodes_is_migrated(tmp_path: Path) -> None:
    _tree(tmp_path)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout == (
        "stats.py:11:23: status-held-collection [likely, rewrite] 'done' -> 'agent_responded'\n"
        "stats.py:11:31: status-held-collection [likely, rewrite] 'failed' -> 'interrupted'\n"
        "3 files scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)\n"
    )
    old = _store(tmp_path / "old.sqlite", ["done", "failed", "running", "timeout"])
    new = _store(tmp_path / "new.sqlite", ["agent_responded", "interrupted", "running", "waiting_for_response"])
    assert (_ended(tmp_path, old), _ended(tmp_path, new)) == ("2", "0")
    expand = run_cli("apply", "--write", ".", cwd=tmp_path)
    assert expand.returncode == 0, expand.stderr
    assert (tmp_path / "stats.py").read_text("utf-8") == STATS.replace(
        '["done", "failed"]', '["done", "agent_responded", "failed", "interrupted"]')
    assert (tmp_path / "jobs.py").read_text("utf-8") == JOBS
    assert (_ended(tmp_path, old), _ended(tmp_path, new)) == ("2", "2")
    contract = run_cli("apply", "--write", "--phase", "contract", ".", cwd=tmp_path)
    assert contract.returncode == 0, contract.stderr
    assert (tmp_path / "stats.py").read_text("utf-8") == STATS.replace(
        '["done", "failed"]', '["agent_responded", "interrupted"]')
    assert (tmp_path / "jobs.py").read_text("utf-8") == JOBS
    assert (_ended(tmp_path, old), _ended(tmp_path, new)) == ("0", "2")
