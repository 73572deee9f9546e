"""A repair script decides a status with a helper and stores it in session
entries: the helper's returned names are written statuses (kept in expand,
renamed in contract), whether the call is assigned to the entry's status
directly or through a local tested for ``None`` first. The same helper
shape for rq job records, for a ``sessions_send`` reply, and a helper whose
result is also compared, are left alone (the last listed for review)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from tests.conftest import run_cli

REPAIR = '''import json
from pathlib import Path


def from_exit(code):
    if code == 0:
        return "done"
    if code in (137, 143):
        return "killed"
    return "failed"


def guessed(entry):
    if "status" in entry:
        return None
    return "timeout" if entry.get("runtimeMs", 0) > 600000 else None


def repair(state):
    path = Path(state) / "agents" / "ops" / "sessions" / "sessions.json"
    store = json.loads(path.read_text("utf-8"))
    for entry in store.values():
        if "exitCode" in entry:
            entry["status"] = from_exit(entry.pop("exitCode"))
        picked = guessed(entry)
        if picked:
            entry["status"] = picked
    for entry in store.values():
        if entry.get("exit") is not None:
            entry.update(status=from_exit(entry["exit"]))
    path.write_text(json.dumps(store), "utf-8")
'''

# rq job records: the same helper shape, no OpenClaw anywhere.
JOBS = '''def from_exit(code):
    if code == 0:
        return "done"
    return "failed"


def settle(queue):
    for job in queue.finished_jobs():
        job.meta["status"] = from_exit(job.return_value())
        job["status"] = from_exit(job.exit_code)
'''

# A sessions_send reply is another vocabulary; a result also compared is the caller's choice.
REPLIES = '''import json
from pathlib import Path

STORE = Path("agents/main/sessions/sessions.json")


def waited(reply):
    return "timeout" if reply.get("waitedMs") else "done"


def judged(entry):
    return "killed" if entry.get("abortedLastRun") else "done"


def note(gateway, key):
    reply = gateway.call("sessions_send", {"sessionKey": key, "message": "ping"})
    reply["status"] = waited(reply)
    return reply


def check():
    for entry in json.loads(STORE.read_text("utf-8")).values():
        if judged(entry) == "killed":
            entry["status"] = judged(entry)
'''


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "fix").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "fix"\n', "utf-8")
    (root / "fix" / "__init__.py").write_text("", "utf-8")
    (root / "fix" / "repair.py").write_text(REPAIR, "utf-8")
    (root / "fix" / "jobs.py").write_text(JOBS, "utf-8")
    (root / "fix" / "replies.py").write_text(REPLIES, "utf-8")
    return root


CONTRACTED = REPAIR.replace('"done"', '"agent_responded"').replace('"killed"', '"halted"').replace(
    'return "failed"', 'return "interrupted"').replace('"timeout"', '"waiting_for_response"')


def test_scan_notes_the_returned_statuses_as_writes(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    kept = sorted(line.split(": ")[0] for line in scan.stdout.splitlines()
                  if "status-returned-writer: " in line and "contract pending" in line)
    assert kept == ["fix/repair.py:10:12", "fix/repair.py:16:12", "fix/repair.py:7:16", "fix/repair.py:9:16"]
    # A reply's status, and a result also compared, are listed for review only.
    assert [line.split(" -> ")[0] for line in scan.stdout.splitlines() if line.startswith("fix/replies.py")] == [
        "fix/replies.py:8:12: status-return [possible, review] 'timeout'",
        "fix/replies.py:8:52: status-return [possible, review] 'done'",
        "fix/replies.py:12:12: status-return [possible, review] 'killed'",
        "fix/replies.py:12:57: status-return [possible, review] 'done'",
    ]
    assert "fix/jobs.py" not in scan.stdout


def test_expand_keeps_and_contract_renames(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    done = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "fix" / "repair.py").read_text("utf-8") == REPAIR
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "fix" / "repair.py").read_text("utf-8") == CONTRACTED
    assert (root / "fix" / "jobs.py").read_text("utf-8") == JOBS
    assert (root / "fix" / "replies.py").read_text("utf-8") == REPLIES


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_contracted_repair_writes_new_names(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    store = tmp_path / "state" / "agents" / "ops" / "sessions"
    store.mkdir(parents=True)
    entries = {
        "a": {"exitCode": 0}, "b": {"exitCode": 137}, "c": {"exitCode": 2},
        "d": {"runtimeMs": 900000}, "e": {"status": "running"}, "f": {"exit": 143},
    }
    store.joinpath("sessions.json").write_text(json.dumps(entries), "utf-8")
    _load(root / "fix" / "repair.py", "repair_contracted").repair(tmp_path / "state")
    written = json.loads(store.joinpath("sessions.json").read_text("utf-8"))
    assert {k: v.get("status") for k, v in written.items()} == {
        "a": "agent_responded", "b": "halted", "c": "interrupted", "d": "waiting_for_response", "e": "running",
        "f": "halted",
    }
