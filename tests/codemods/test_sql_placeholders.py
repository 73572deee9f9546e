"""Placeholders written by hand beside their names, in the spellings real
code uses: lower-case keywords, `!=` and `<>`, `NOT IN`, no space after the
comma, a list of parameters, other parameters around the status test, two
status tests in one query. Expand grows each test with its names, contract
(after expand, or alone) shrinks it again, a test left with one name goes
back to `= ?`, and a tuple of one name stays a tuple. Each version runs
against a real SQLite database holding rows of both vocabularies."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

QUERIES = '''import sqlite3


def gone(db):
    con = sqlite3.connect(db)
    rows = con.execute("select session_key from session_nodes where status in (?,?) order by 1", ["failed", "timeout"])
    return [r[0] for r in rows]


def alive(db):
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT session_key FROM session_nodes WHERE updated_at > ? AND status != ? AND status <> ? ORDER BY 1",
        (0, "killed", "done"),
    )
    return [r[0] for r in rows]


def settled(db):
    con = sqlite3.connect(db)
    rows = con.execute("SELECT session_key FROM session_nodes WHERE status NOT IN (?, ?) ORDER BY 1", ("running", "queued"))
    return [r[0] for r in rows]


def both(db):
    con = sqlite3.connect(db)
    rows = con.execute("SELECT session_key FROM session_nodes WHERE status = ? OR status = ? ORDER BY 1",
                       ("failed", "interrupted"))
    return [r[0] for r in rows]


def pair(db):
    con = sqlite3.connect(db)
    rows = con.execute("SELECT session_key FROM session_nodes WHERE status IN (?, ?) ORDER BY 1", ("done", "agent_responded"))
    return [r[0] for r in rows]
'''

EXPANDED = QUERIES.replace(
    '"select session_key from session_nodes where status in (?,?) order by 1", ["failed", "timeout"]',
    '"select session_key from session_nodes where status in (?,?,?,?) order by 1", '
    '["failed", "interrupted", "timeout", "waiting_for_response"]',
).replace(
    'WHERE updated_at > ? AND status != ? AND status <> ? ORDER BY 1",\n        (0, "killed", "done"),',
    'WHERE updated_at > ? AND status NOT IN (?, ?) AND status NOT IN (?, ?) ORDER BY 1",\n'
    '        (0, "killed", "halted", "done", "agent_responded"),',
)

CONTRACTED = QUERIES.replace('["failed", "timeout"]', '["interrupted", "waiting_for_response"]').replace(
    '(0, "killed", "done")', '(0, "halted", "agent_responded")',
).replace('status = ? OR status = ? ORDER BY 1",\n                       ("failed", "interrupted"))',
          'status = ? OR status = ? ORDER BY 1",\n                       ("interrupted", "interrupted"))').replace(
    'WHERE status IN (?, ?) ORDER BY 1", ("done", "agent_responded"))',
    'WHERE status = ? ORDER BY 1", ("agent_responded",))')


def _tree(root: Path) -> Path:
    (root / "pyproject.toml").write_text('[project]\nname = "queries"\n', "utf-8")
    (root / "queries.py").write_text(QUERIES, "utf-8")
    return root


def _results(root: Path, names: dict[str, str]) -> dict[str, list[str]]:
    """Each function's answer on a database whose ended rows carry ``names``."""
    db = root / "state.sqlite"
    db.unlink(missing_ok=True)
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE session_nodes (session_key TEXT, status TEXT, updated_at INTEGER)")
    con.executemany("INSERT INTO session_nodes VALUES (?, ?, 1)", [
        ("a", names["failed"]), ("b", names["timeout"]), ("c", names["done"]), ("d", names["killed"]),
        ("e", "running"), ("f", "queued")])
    con.commit()
    con.close()
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import queries as q; "
            "print(json.dumps({f: getattr(q, f)(sys.argv[2]) for f in ('gone', 'alive', 'settled', 'both', 'pair')}))")
    ran = subprocess.run([sys.executable, "-c", code, str(root), str(db)], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    import json

    return dict(json.loads(ran.stdout))


OLD = {"failed": "failed", "timeout": "timeout", "done": "done", "killed": "killed"}
NEW = {"failed": "interrupted", "timeout": "waiting_for_response", "done": "agent_responded", "killed": "halted"}
ANSWERS = {"gone": ["a", "b"], "alive": ["a", "b", "e", "f"], "settled": ["a", "b", "c", "d"], "both": ["a"], "pair": ["c"]}


def test_expand_grows_each_test_with_its_names_and_contract_shrinks_it(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert _results(root, OLD) == ANSWERS
    done = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "queries.py").read_text("utf-8") == EXPANDED
    assert _results(root, OLD) == ANSWERS
    assert _results(root, NEW) == ANSWERS
    again = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=root)
    assert (again.returncode, (root / "queries.py").read_text("utf-8")) == (0, EXPANDED)
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    # What expand made of `<>` comes back as `!=`.
    assert (root / "queries.py").read_text("utf-8") == CONTRACTED.replace("status <> ?", "status != ?")
    assert _results(root, NEW) == ANSWERS


def test_contract_alone_renames_one_for_one_and_keeps_a_tuple_a_tuple(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    text = (root / "queries.py").read_text("utf-8")
    assert text == CONTRACTED
    assert _results(root, NEW) == ANSWERS
