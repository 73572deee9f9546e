"""A status collection that reaches its membership test through a name: a
local bound to a literal, a copy of a constant (`set(BROKEN)`), an alias, a
fallback (`set(extra or FINISHED)`), grown in place (`.add`, `.update`,
`|=`); a collection passed to the function that tests it; and the
`choices` of a command-line option whose value becomes the tested
collection. Each is rewritten where it is written, as a collection written
in the test is; one tested against another vocabulary's values is not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

# -- 1. locals -----------------------------------------------------------------

STATES = '''# imported by the watcher, tested there through a copy
STUCK = ["timeout"]
'''

WATCH = '''import json
import subprocess

from .states import STUCK

BROKEN = ("failed", "timeout")
FINISHED = ["done"]
JOB_OVER = ("done", "failed")


def sessions():
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["sessions"]


def broken(strict=False):
    bad = set(BROKEN)
    if strict:
        bad.add("killed")
    return [row["key"] for row in sessions() if row.get("status") in bad]


def finished(extra=None):
    over = set(extra or FINISHED)
    over.update({"killed"})
    return [row["key"] for row in sessions() if row["status"] in over]


def quiet():
    idle = {"done"}
    idle |= {"failed"}
    seen = idle
    return [row["key"] for row in sessions() if row["status"] not in seen]


def waiting():
    late = tuple(STUCK)
    return [row["key"] for row in sessions() if row["status"] in late]


def settled(jobs):
    over = list(JOB_OVER)
    over.append("killed")
    return [job["id"] for job in jobs if job["outcome"]["status"] in over]
'''

WATCH_EXPAND = WATCH.replace(
    'BROKEN = ("failed", "timeout")', 'BROKEN = ("failed", "interrupted", "timeout", "waiting_for_response")'
).replace('FINISHED = ["done"]', 'FINISHED = ["done", "agent_responded"]').replace(
    'bad.add("killed")', 'bad.update(("killed", "halted"))'
).replace('over.update({"killed"})', 'over.update({"killed", "halted"})').replace(
    'idle = {"done"}\n    idle |= {"failed"}', 'idle = {"done", "agent_responded"}\n    idle |= {"failed", "interrupted"}'
)

WATCH_CONTRACT = WATCH.replace(
    'BROKEN = ("failed", "timeout")', 'BROKEN = ("interrupted", "waiting_for_response")'
).replace('FINISHED = ["done"]', 'FINISHED = ["agent_responded"]').replace(
    'bad.add("killed")', 'bad.add("halted")'
).replace('over.update({"killed"})', 'over.update({"halted"})').replace(
    'idle = {"done"}\n    idle |= {"failed"}', 'idle = {"agent_responded"}\n    idle |= {"interrupted"}'
)

# Runs the migrated watcher over rows given on the command line.
CALL_WATCH = '''import json, sys
sys.path.insert(0, sys.argv[1])
from crew import watch
rows = json.loads(sys.argv[2])
watch.sessions = lambda: rows
jobs = [{"id": "j1", "outcome": {"status": "killed"}}, {"id": "j2", "outcome": {"status": "halted"}}]
print(json.dumps([watch.broken(), watch.broken(strict=True), watch.finished(), watch.quiet(), watch.waiting(),
                  watch.settled(jobs)]))
'''


def _project(root: Path, files: dict[str, str]) -> None:
    root.mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text("[tool.migrator]\n", "utf-8")
    (root / "crew").mkdir()
    (root / "crew" / "__init__.py").write_text("", "utf-8")
    for name, text in files.items():
        (root / "crew" / name).write_text(text, "utf-8")


def _run(script: str, root: Path, *args: str) -> object:
    done = subprocess.run([sys.executable, "-c", script, str(root), *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _rows(names: dict[str, str]) -> str:
    return json.dumps([{"key": key, "status": status} for key, status in names.items()])


def test_a_local_bound_to_a_collection_is_that_collection(tmp_path: Path) -> None:
    _project(tmp_path, {"watch.py": WATCH, "states.py": STATES})
    scan = run_cli("scan", ".", "--format", "json", "--min-confidence", "possible", cwd=tmp_path)
    assert scan.returncode == 1, scan.stderr
    found = [(f["path"], f["line"], f["old"], f["confidence"], f["rule"]) for f in json.loads(scan.stdout)["findings"]]
    assert found == [
        ("crew/states.py", 2, "timeout", "certain", "status-constant"),
        ("crew/watch.py", 6, "failed", "certain", "status-constant"),
        ("crew/watch.py", 6, "timeout", "certain", "status-constant"),
        ("crew/watch.py", 7, "done", "certain", "status-constant"),
        ("crew/watch.py", 19, "killed", "certain", "status-held-collection"),
        ("crew/watch.py", 25, "killed", "certain", "status-held-collection"),
        ("crew/watch.py", 30, "done", "certain", "status-held-collection"),
        ("crew/watch.py", 31, "failed", "certain", "status-held-collection"),
    ]
    rows = {"a": "failed", "b": "killed", "c": "done", "d": "timeout", "e": "running"}
    new_rows = {"a": "interrupted", "b": "halted", "c": "agent_responded", "d": "waiting_for_response", "e": "running"}
    expected = [["a", "d"], ["a", "b", "d"], ["b", "c"], ["b", "d", "e"], ["d"], ["j1"]]
    assert _run(CALL_WATCH, tmp_path, _rows(rows)) == expected
    for phase, text in (("expand", WATCH_EXPAND), ("contract", WATCH_CONTRACT)):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "crew" / "watch.py").read_text("utf-8") == text
        stuck = '["timeout", "waiting_for_response"]' if phase == "expand" else '["waiting_for_response"]'
        assert (tmp_path / "crew" / "states.py").read_text("utf-8") == STATES.replace('["timeout"]', stuck)
        # The session checks answer the same under the names of their phase;
        # the jobs' own `killed` outcome is still the only one settled.
        for names in ([rows, new_rows] if phase == "expand" else [new_rows]):
            assert _run(CALL_WATCH, tmp_path, _rows(names)) == expected
    rescan = run_cli("scan", ".", "--phase", "contract", cwd=tmp_path)
    assert (rescan.returncode, rescan.stdout.splitlines()[-1]) == (
        0, "3 files scanned, 0 findings: 0 to rewrite, 0 to review (contract phase)")


def test_contract_after_expand_writes_what_contract_alone_writes(tmp_path: Path) -> None:
    for name in ("once", "twice"):
        _project(tmp_path / name, {"watch.py": WATCH, "states.py": STATES})
    for phase in ("expand", "contract"):
        assert run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=tmp_path / "twice").returncode == 0
    assert run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=tmp_path / "once").returncode == 0
    for name in ("watch.py", "states.py"):
        assert (tmp_path / "once" / "crew" / name).read_bytes() == (tmp_path / "twice" / "crew" / name).read_bytes()


SHARED = '''import json
from pathlib import Path


def rows(root):
    return json.loads((Path(root) / "sessions" / "sessions.json").read_text())


def gone(root, jobs):
    ended = {"done", "failed"}
    keys = [k for k, e in rows(root).items() if e["status"] in ended]
    return keys, [j for j in jobs if j["state"] in ended]
'''


def test_a_local_also_tested_against_another_vocabulary_is_expanded_and_left_for_review(tmp_path: Path) -> None:
    """`ended` is tested against a session entry's status and a job's
    state: expand adds the new names (harmless to the jobs), contract
    leaves it for a person to split."""
    _project(tmp_path, {"gone.py": SHARED})
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    expanded = SHARED.replace('{"done", "failed"}', '{"done", "agent_responded", "failed", "interrupted"}')
    assert (tmp_path / "crew" / "gone.py").read_text("utf-8") == expanded
    scan = run_cli("scan", ".", "--format", "json", "--phase", "contract", cwd=tmp_path)
    found = [(f["line"], f["old"], f["action"], f["why"].rsplit("; ", 1)[-1]) for f in json.loads(scan.stdout)["findings"]]
    assert found == [(10, old, "review", "but it is also tested against other values (`j[\"state\"]` (line 12) is not "
                      "a session status): split it before contract") for old in ("done", "failed")]
