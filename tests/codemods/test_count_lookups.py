"""A report counts sessions by status and reads one status's count.

A nightly report asks the gateway for ``sessions.list``, tallies the rows
with ``Counter`` in one function and with a ``defaultdict(int)`` filled in
a loop in another, and a module of its own helpers returns a dict
comprehension keyed by the ``status`` column of ``session_nodes``. The
report module reads ``tally["failed"]``, ``counts.get("killed", 0)`` and
the helper's ``resting.get("timeout", 0)``. Beside it, the same report
counts its own job queue's states (``Counter(job["state"] ...)``, the same
words of another vocabulary) and keeps the newest session key per status
in a plain dict, whose missing entries read as None: that lookup is listed
for review in expand (it cannot add two keys) and renamed in contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

STORE = '''import sqlite3


def resting(path):
    """Rows per status of the agent's store."""
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT status, COUNT(*) FROM session_nodes GROUP BY status").fetchall()
    finally:
        con.close()
    if not rows:
        return {}
    return {status: n for status, n in rows}
'''

REPORT = '''from collections import Counter, defaultdict

from .store import resting


def sessions(client):
    return client.call("sessions.list", {"limit": 500})["sessions"]


def summary(client, path, jobs):
    rows = sessions(client)
    tally = Counter(row["status"] for row in rows)
    counts = defaultdict(int)
    for row in rows:
        counts[row.get("status")] += 1
    newest = {row["status"]: row["key"] for row in rows}
    at_rest = resting(path)
    queue = Counter(job["state"] for job in jobs)
    return {
        "failed": tally["failed"],
        "stopped": counts.get("killed", 0),
        "late": at_rest.get("timeout", 0),
        "last_done": newest.get("done"),
        "jobs_failed": queue["failed"],
    }
'''

EXPAND = REPORT.replace(
    'tally["failed"]', '(tally["failed"] + tally["interrupted"])'
).replace(
    'counts.get("killed", 0)', '(counts.get("killed", 0) + counts.get("halted", 0))'
).replace(
    'at_rest.get("timeout", 0)', '(at_rest.get("timeout", 0) + at_rest.get("waiting_for_response", 0))'
)

CONTRACT = REPORT.replace('tally["failed"]', 'tally["interrupted"]').replace(
    'counts.get("killed", 0)', 'counts.get("halted", 0)').replace(
    'at_rest.get("timeout", 0)', 'at_rest.get("waiting_for_response", 0)').replace(
    'newest.get("done")', 'newest.get("agent_responded")')

RUN = '''import json, sqlite3, sys
from report.report import summary

old = sys.argv[1] == "old"
names = dict(failed="failed", killed="killed", timeout="timeout", done="done") if old else dict(
    failed="interrupted", killed="halted", timeout="waiting_for_response", done="agent_responded")


class Client:
    def call(self, method, params):
        assert method == "sessions.list"
        return {"sessions": [{"key": "a", "status": names["failed"]}, {"key": "b", "status": names["failed"]},
                             {"key": "c", "status": names["killed"]}, {"key": "d", "status": names["done"]}]}


con = sqlite3.connect(sys.argv[2])
con.execute("CREATE TABLE IF NOT EXISTS session_nodes (session_key TEXT, status TEXT)")
con.execute("DELETE FROM session_nodes")
con.executemany("INSERT INTO session_nodes VALUES (?, ?)", [("x", names["timeout"]), ("y", names["timeout"])])
con.commit()
con.close()
print(json.dumps(summary(Client(), sys.argv[2], [{"state": "failed"}])))
'''


def _report(root: Path, version: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", RUN, version, str(root / "store.db")], cwd=root,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_counts_read_at_an_old_name_add_the_new_names_count_in_expand(tmp_path: Path) -> None:
    files = {"store.py": STORE, "report.py": REPORT}
    package = write_package(tmp_path, "report", files)
    scan = run_cli("scan", ".", "--format", "json", cwd=tmp_path)
    found = {(f["line"], f["old"], f["rule"], f["confidence"], f["action"])
             for f in json.loads(scan.stdout)["findings"] if f["path"].endswith("report.py")}
    assert found == {
        (20, "failed", "status-count-lookup", "certain", "rewrite"),
        (21, "killed", "status-count-lookup", "certain", "rewrite"),
        (22, "timeout", "status-count-lookup", "certain", "rewrite"),
        (23, "done", "status-count-lookup", "certain", "review"),
    }, scan.stdout

    apply_phase(tmp_path, "expand", package, files, {"report.py": EXPAND})
    # Old rows and new rows give the same report once expanded.
    expected = {"failed": 2, "stopped": 1, "late": 2, "jobs_failed": 1}
    old, new = _report(tmp_path, "old"), _report(tmp_path, "new")
    assert {k: v for k, v in old.items() if k != "last_done"} == expected
    assert {k: v for k, v in new.items() if k != "last_done"} == expected
    assert old["last_done"] == "d" and new["last_done"] is None  # the one left for review

    # Expanded: nothing more to do in expand; contract reads the new names alone.
    again = run_cli("apply", ".", "--write", "--phase", "expand", cwd=tmp_path)
    assert again.returncode == 0 and (package / "report.py").read_text("utf-8") == EXPAND
    apply_phase(tmp_path, "contract", package, files, {"report.py": CONTRACT})
    assert _report(tmp_path, "new") == {**expected, "last_done": "d"}


def test_contract_alone_writes_what_contract_after_expand_does(tmp_path: Path) -> None:
    files = {"store.py": STORE, "report.py": REPORT}
    package = write_package(tmp_path, "report", files)
    apply_phase(tmp_path, "contract", package, files, {"report.py": CONTRACT})


def test_a_count_of_another_vocabulary_read_at_the_same_words_stays(tmp_path: Path) -> None:
    files = {"jobs.py": '''from collections import Counter, defaultdict


def report(queue):
    states = Counter(job.state for job in queue.jobs())
    runs = defaultdict(int)
    for run in queue.runs():
        runs[run["outcome"]["status"]] += 1
    return states["failed"] + states.get("timeout", 0), runs["killed"]
'''}
    package = write_package(tmp_path, "jobs", files)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.returncode == 0, scan.stdout
    apply_phase(tmp_path, "contract", package, files, {})
