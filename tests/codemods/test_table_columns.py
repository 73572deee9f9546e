"""Status columns of polars frames and Arrow tables.

polars names a column in an expression the frame's method evaluates
(`frame.filter(pl.col("status") == "done")`): that is the frame's column, of
session rows when the frame is built from them, here through a list that
a loop appends rows to and a helper of another module. pyarrow.compute tests
a column with functions (`pc.is_in(col, value_set=pa.array([...]))`,
`pc.equal(col, "done")`), often on a cast of it. The same words in frames of
`agents_wait` children, job queue states and `sessions_send` replies stay.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import run_cli

# A usage report: a loader module and a report module importing it.
ENTRIES = '''import json
from pathlib import Path

import polars as pl

# Entries whose last run bought no answer.
IDLE_END = ("timeout", "failed")


def entries(home: Path) -> pl.DataFrame:
    out = []
    for path in home.glob("agents/*/sessions/sessions.json"):
        for key, value in json.loads(path.read_text()).items():
            out.append({"key": key, "status": value.get("status"), "tokens": value.get("totalTokens", 0)})
    return pl.DataFrame(out)


def children(client, keys) -> pl.DataFrame:
    """The child runs an agents_wait call reports."""
    reply = client.invoke("agents_wait", {"sessionKeys": keys})
    return pl.DataFrame(reply["details"]["children"])
'''

USAGE = '''import rq
import polars as pl

from usage import store


def spent(home):
    frame = store.entries(home)
    return frame.with_columns(
        lost=pl.col("status").is_in(store.IDLE_END),
        answered=pl.when(pl.col("status") == "done").then(1).otherwise(0),
    ).filter(pl.col("status") != "killed")


def stopped(home):
    return store.entries(home).filter(pl.col("status") == "killed").select("key")


def waited(client, keys):
    # agents_wait children: a run's own status, another vocabulary.
    return store.children(client, keys).filter(pl.col("status") == "timeout")


def queue_done():
    jobs = pl.DataFrame([{"id": j.id, "status": j.get_status()} for j in rq.Queue().jobs])
    return jobs.filter(pl.col("status").is_in(["failed", "done"]))
'''


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    tmp_path.mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "usage"\n', "utf-8")
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return tmp_path


def _apply(src: Path, dest: Path, phase: str) -> None:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".migrator"))
    done = run_cli("apply", ".", "--write", "--phase", phase, cwd=dest)
    assert done.returncode == 0, done.stderr


def test_polars_columns_of_session_entries_across_modules(tmp_path: Path) -> None:
    src = _tree(tmp_path / "src", {"usage/__init__.py": "", "usage/store.py": ENTRIES, "usage/report.py": USAGE})
    _apply(src, tmp_path / "expand", "expand")
    assert (tmp_path / "expand/usage/store.py").read_text("utf-8") == ENTRIES.replace(
        'IDLE_END = ("timeout", "failed")', 'IDLE_END = ("timeout", "waiting_for_response", "failed", "interrupted")')
    assert (tmp_path / "expand/usage/report.py").read_text("utf-8") == USAGE.replace(
        'pl.when(pl.col("status") == "done")', 'pl.when(pl.col("status").is_in(("done", "agent_responded")))').replace(
        'store.entries(home).filter(pl.col("status") == "killed")',
        'store.entries(home).filter(pl.col("status").is_in(("killed", "halted")))')
    # `!=` is listed in expand: `~col.is_in(...)` is no shape the tool writes.
    scan = run_cli("scan", ".", cwd=tmp_path / "src")
    assert "usage/report.py:12:34: status-column-compare [certain, review] 'killed' -> 'halted'" in scan.stdout
    _apply(src, tmp_path / "contract", "contract")
    assert (tmp_path / "contract/usage/store.py").read_text("utf-8") == ENTRIES.replace(
        'IDLE_END = ("timeout", "failed")', 'IDLE_END = ("waiting_for_response", "interrupted")')
    assert (tmp_path / "contract/usage/report.py").read_text("utf-8") == USAGE.replace(
        '== "done"', '== "agent_responded"').replace('"status") != "killed"', '"status") != "halted"').replace(
        'store.entries(home).filter(pl.col("status") == "killed")', 'store.entries(home).filter(pl.col("status") == "halted")')
    # Contract after expand writes what contract alone does.
    shutil.copytree(tmp_path / "expand", tmp_path / "both", ignore=shutil.ignore_patterns(".migrator"))
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path / "both")
    assert done.returncode == 0, done.stderr
    for rel in ("usage/store.py", "usage/report.py"):
        assert (tmp_path / "both" / rel).read_bytes() == (tmp_path / "contract" / rel).read_bytes()


TAPE = '''import pyarrow as pa
import pyarrow.compute as pc


def rows(events):
    out = []
    for event in events:
        if event.get("event") == "sessions.changed":
            out.append({"key": event["payload"]["key"], "status": event["payload"].get("status")})
    return pa.Table.from_pylist(out)


def troubled(events):
    table = rows(events)
    return table.filter(pc.is_in(table["status"], value_set=pa.array(["failed", "killed"])))


def answered(events) -> int:
    table = rows(events)
    state = pc.cast(table.column("status"), pa.string())
    return pc.sum(pc.equal(state, "done")).as_py() or 0


def replies(client, keys):
    # sessions_send replies: a send's own status ("ok", "timeout", "error").
    sent = pa.Table.from_pylist([client.invoke("sessions_send", {"sessionKey": k}) for k in keys])
    return sent.filter(pc.equal(sent["status"], "timeout"))


def celery_failed(app):
    tasks = pa.Table.from_pylist([{"id": t, "status": app.AsyncResult(t).status} for t in app.control.inspect().active()])
    return tasks.filter(pc.is_in(tasks["status"], value_set=pa.array(["failed"])))
'''


def test_pyarrow_compute_tests_of_a_session_table(tmp_path: Path) -> None:
    src = _tree(tmp_path / "src", {"tape.py": TAPE})
    scan = run_cli("scan", ".", cwd=src)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "tape.py:15:71: status-membership [certain, rewrite] 'failed' -> 'interrupted'",
        "tape.py:15:81: status-membership [certain, rewrite] 'killed' -> 'halted'",
        "tape.py:21:35: status-column-compare [certain, rewrite] 'done' -> 'agent_responded'",
        "1 file scanned, 3 findings: 3 to rewrite, 0 to review (expand phase)",
    ]
    _apply(src, tmp_path / "expand", "expand")
    # pc.equal of one name: an `or_` of both (nulls stay null, as pc.is_in would not keep them).
    assert (tmp_path / "expand/tape.py").read_text("utf-8") == TAPE.replace(
        'pa.array(["failed", "killed"])', 'pa.array(["failed", "interrupted", "killed", "halted"])').replace(
        'pc.equal(state, "done")', 'pc.or_(pc.equal(state, "done"), pc.equal(state, "agent_responded"))')
    _apply(src, tmp_path / "contract", "contract")
    assert (tmp_path / "contract/tape.py").read_text("utf-8") == TAPE.replace(
        'pa.array(["failed", "killed"])', 'pa.array(["interrupted", "halted"])').replace(
        'pc.equal(state, "done")', 'pc.equal(state, "agent_responded")')
    # Contract after expand: the pair of one name is one test again.
    shutil.copytree(tmp_path / "expand", tmp_path / "both", ignore=shutil.ignore_patterns(".migrator"))
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path / "both")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "both/tape.py").read_bytes() == (tmp_path / "contract/tape.py").read_bytes()
