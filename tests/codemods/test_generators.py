"""What a generator yields is what iterating its call gives: `for key, entry
in entries(agent)` takes item 2 of `yield key, entry` over a decoded
sessions.json, and `for row in rows()` the rows a `sessions_list` result
holds. A job queue's generator stays another vocabulary's, and a plain
function's list of pairs is not read as a generator's items."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

SWEEP = '''import json
from pathlib import Path

ROOT = Path.home() / ".openclaw" / "agents"


def entries(agent):
    store = json.loads((ROOT / agent / "sessions" / "sessions.json").read_text())
    for key, entry in store.items():
        yield key, entry


def rows(call):
    for row in call("sessions_list", {"limit": 20})["details"]["sessions"]:
        yield row


def stuck(agent):
    return [key for key, entry in entries(agent) if entry.get("status") == "timeout"]


def broken(call):
    return [row["key"] for row in rows(call) if row["status"] == "failed"]
'''

JOBS = '''def jobs(queue):
    for job in queue:
        yield job["id"], job


def pairs(queue):
    return [(job["id"], job) for job in queue]


def retry(queue):
    return [i for i, job in jobs(queue) if job["status"] == "failed"]


def late(queue):
    return [i for i, job in pairs(queue) if job["status"] == "timeout"]
'''

CALL = '''import json, sys
sys.path.insert(0, sys.argv[1])
import sweep
rows = json.loads(sys.argv[2])
sweep.entries = lambda agent: iter([(r["key"], r) for r in rows])
print(json.dumps([sweep.stuck("main"), sweep.broken(lambda tool, args: {"details": {"sessions": rows}})]))
'''


def test_a_generators_items_keep_their_source(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\n", "utf-8")
    (tmp_path / "sweep.py").write_text(SWEEP, "utf-8")
    (tmp_path / "jobs.py").write_text(JOBS, "utf-8")
    scan = run_cli("scan", ".", "--show-why", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout == (
        "sweep.py:19:76: status-compare [certain, rewrite] 'timeout' -> 'waiting_for_response': compared with "
        '`entry.get("status")`, where `entry`, item 2 of what `entries()` (line 7) yields, `entry` iterates '
        "`store`, decoded from a path naming `sessions.json`\n"
        "sweep.py:23:66: status-compare [certain, rewrite] 'failed' -> 'interrupted': compared with "
        '`row["status"]`, where `row` iterates what `rows()` (sweep.py:13) yields, `row` iterates the `sessions` '
        "of the `details` of a `sessions_list` result\n"
        "2 files scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)\n"
    )
    for phase in ("expand", "contract"):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        if phase == "expand":
            expected = SWEEP.replace('== "timeout"', 'in ("timeout", "waiting_for_response")').replace(
                '== "failed"', 'in ("failed", "interrupted")')
        else:
            expected = SWEEP.replace('"timeout"', '"waiting_for_response"').replace('"failed"', '"interrupted"')
        assert (tmp_path / "sweep.py").read_text("utf-8") == expected
        assert (tmp_path / "jobs.py").read_text("utf-8") == JOBS
        names = ["timeout", "failed"] if phase == "expand" else []
        names += ["waiting_for_response", "interrupted"]
        for stuck, broken in zip(names[::2], names[1::2]):
            rows = [{"key": "a", "status": stuck}, {"key": "b", "status": broken}, {"key": "c", "status": "running"}]
            ran = subprocess.run([sys.executable, "-c", CALL, str(tmp_path), json.dumps(rows)],
                                 capture_output=True, text=True, check=True)
            assert json.loads(ran.stdout) == [["a"], ["b"]]
