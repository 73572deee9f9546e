"""Provenance per value across a package: rows fetched in one module and read
in others, objects built from rows, a watchdog over `openclaw sessions --json`,
a glob of sessions.json stores, and a constant shared with a job queue.

fixtures/python/orchestrator is the before-tree; fixtures/python/expected/<phase>/orch
holds the after-files, written from what each reader must accept.
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, Iterator

import pytest

from tests.conftest import FIXTURES, run_cli, snapshot

TREE = FIXTURES / "python" / "orchestrator"
EXPECTED = FIXTURES / "python" / "expected"
OLD_TO_NEW = {"done": "agent_responded", "failed": "interrupted", "timeout": "waiting_for_response", "killed": "halted"}
STATUSES = ["running", "queued", "done", "failed", "timeout", "killed"]


def _migrate(tmp_path: Path, *phases: str) -> Path:
    root = tmp_path / "-".join(phases or ("before",))
    shutil.copytree(TREE, root, ignore=shutil.ignore_patterns(".migrator", "__pycache__"))
    for phase in phases:
        done = run_cli("apply", "--write", "--phase", phase, ".", cwd=root)
        assert done.returncode == 0, done.stderr
    return root


def _scan(root: Path, phase: str) -> dict[str, Any]:
    done = run_cli("scan", "--format", "json", "--phase", phase, ".", cwd=root)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("phase", ["expand", "contract"])
def test_after_files_match_the_expectations(tmp_path: Path, phase: str) -> None:
    root = _migrate(tmp_path, phase)
    got = {k: v for k, v in snapshot(root / "orch").items() if "__pycache__" not in k}
    assert got == snapshot(EXPECTED / phase / "orch")


def test_contract_after_expand_is_the_direct_contract(tmp_path: Path) -> None:
    root = _migrate(tmp_path, "expand", "contract")
    got = {k: v for k, v in snapshot(root / "orch").items() if "__pycache__" not in k}
    want = snapshot(EXPECTED / "contract" / "orch")
    # The shared constant keeps what expand gave it until a person splits it.
    want["states.py"] = (EXPECTED / "expand" / "orch" / "states.py").read_bytes()
    assert got == want


def test_the_why_of_a_certain_finding_names_the_chain(tmp_path: Path) -> None:
    root = _migrate(tmp_path)
    findings = {(f["path"], f["line"]): f for f in _scan(root, "expand")["findings"]}
    compare = findings[("orch/client.py", 12)]
    assert compare["confidence"] == "certain"
    assert "`s.status`" in compare["why"]
    assert "a `SessionRow` built in orch/client.py:8" in compare["why"]
    assert "`sessions_list`" in compare["why"]
    method = findings[("orch/rows.py", 12)]
    assert method["confidence"] == "certain" and "`self` is a `SessionRow` built in orch/client.py:8" in method["why"]
    # Rows fetched in another module: the helper that returns them is named with its place.
    match = findings[("orch/monitor.py", 12)]
    assert match["confidence"] == "certain" and "`sessions()` (orch/gateway.py:20)" in match["why"]
    watchdog = findings[("orch/watchdog.py", 6)]
    assert watchdog["confidence"] == "certain" and "`openclaw sessions`" in watchdog["why"]
    assert "'aborted', 'cancelled', 'error', 'timed_out' kept as written" in watchdog["why"]
    store = findings[("orch/store.py", 18)]
    assert store["confidence"] == "certain" and "`sessions.json`" in store["why"]
    # `queued` is a session status: a test with it stays certain.
    assert findings[("orch/monitor.py", 28)]["confidence"] == "certain"
    # One sessions_send function does not cast doubt on the module's other readers.
    assert findings[("orch/monitor.py", 32)]["confidence"] == "likely"
    assert not [f for f in findings.values() if f["path"] == "orch/monitor.py" and f["line"] == 37]


def test_a_constant_shared_with_a_job_queue_is_reviewed_in_contract(tmp_path: Path) -> None:
    root = _migrate(tmp_path)
    shared = [f for f in _scan(root, "contract")["findings"] if f["path"] == "orch/states.py"]
    assert [(f["old"], f["action"]) for f in shared] == [("done", "review"), ("failed", "review")]
    assert all("orch/queue.py" in f["why"] and '`job["state"]` (line 7)' in f["why"] for f in shared)
    assert all("orch/poll.py" in f["why"] for f in shared)
    assert all("`SESSION_FINISHED = ...`" in f["why"] for f in shared)


def test_migrated_code_is_recognised(tmp_path: Path) -> None:
    expanded = _migrate(tmp_path, "expand")
    report = _scan(expanded, "expand")
    # After expand, nothing is left for expand: the writer waits for contract by design.
    assert report["findings"] == []
    assert "orch/rows.py:15:37: status-writer: `killed` kept in expand (a written or single value), `halted` in " \
        "contract: contract pending" in report["notes"]
    notes = [n for n in report["notes"] if "expanded" in n]
    assert "orch/client.py:12:65: status-membership: expanded (accepts `done` and `agent_responded`), contract pending" in notes
    assert len(notes) == 17
    contracted = _migrate(tmp_path, "contract")
    left = _scan(contracted, "contract")["findings"]
    assert {f["path"] for f in left} == {"orch/states.py"}  # the shared constant a person splits


@pytest.fixture
def load_orch() -> Iterator[Any]:
    def load(root: Path, name: str) -> ModuleType:
        for key in [k for k in sys.modules if k == "orch" or k.startswith("orch.")]:
            del sys.modules[key]
        sys.path.insert(0, str(root))
        try:
            return importlib.import_module(f"orch.{name}")
        finally:
            sys.path.remove(str(root))

    yield load
    for key in [k for k in sys.modules if k == "orch" or k.startswith("orch.")]:
        del sys.modules[key]


def _transport(rows: list[dict[str, Any]], reply: str = "timeout") -> Any:
    def transport(body: bytes) -> bytes:
        if json.loads(body)["tool"] == "sessions_list":
            return json.dumps({"details": {"sessions": rows}}).encode()
        return json.dumps({"details": {"status": reply}}).encode()

    return transport


def _rows(new: bool) -> list[dict[str, Any]]:
    return [{"key": f"k{i}", "status": OLD_TO_NEW.get(s, s) if new else s} for i, s in enumerate(STATUSES)]


def _behaviour(root: Path, load: Any, new: bool, tmp_path: Path) -> dict[str, Any]:
    rows = _rows(new)
    transport = _transport(rows)
    monitor, client, rows_mod = load(root, "monitor"), load(root, "client"), load(root, "rows")
    watchdog, store, queue, poll = load(root, "watchdog"), load(root, "store"), load(root, "queue"), load(root, "poll")
    state = tmp_path / ("new" if new else "old") / root.name
    (state / "agents" / "main" / "sessions").mkdir(parents=True, exist_ok=True)
    (state / "agents" / "main" / "sessions" / "sessions.json").write_text(json.dumps({r["key"]: r for r in rows}))
    stdout = json.dumps({"sessions": rows})
    return {
        "describe": monitor.describe(transport),
        "labels": monitor.labels(transport),
        "waiting": monitor.waiting(transport),
        "over": [monitor.over(r) for r in rows],
        "nudge": monitor.nudge("k0", transport),  # a sessions_send reply keeps its own words
        "finished": client.finished(transport),
        "stuck": [s.stuck() for s in client.load_rows(transport)],
        "watchdog": watchdog.stuck(run=lambda argv: SimpleNamespace(stdout=stdout)),
        "store": store.finished_keys(str(state)),
        "poll": poll.all_finished(_transport([r for r in rows if r["status"] in (
            "done", "failed", OLD_TO_NEW["done"], OLD_TO_NEW["failed"])])),
        "queue": queue.drained([{"state": "done"}, {"state": "failed"}]),
    }


def test_migrated_package_behaves_the_same_with_old_and_new_names(tmp_path: Path, load_orch: Any) -> None:
    before = _behaviour(_migrate(tmp_path), load_orch, False, tmp_path)
    assert before["describe"] == ["busy", "busy", "finished", "stuck", "stuck", "other"]
    assert before["queue"] is True and before["nudge"] is True
    expanded = _migrate(tmp_path, "expand")
    assert _behaviour(expanded, load_orch, False, tmp_path) == before
    assert _behaviour(expanded, load_orch, True, tmp_path) == before
    contracted = _migrate(tmp_path, "contract")
    # Contract speaks the new names; the job queue's words stay (its constant is reviewed).
    after = _behaviour(contracted, load_orch, True, tmp_path)
    assert {k: v for k, v in after.items() if k != "poll"} == {k: v for k, v in before.items() if k != "poll"}
    writer = load_orch(contracted, "rows")
    assert writer.SessionRow("k", "running").stopped().status == "halted"
    assert load_orch(expanded, "rows").SessionRow("k", "running").stopped().status == "killed"


def test_an_unrelated_projects_own_session_enum_is_left_alone(tmp_path: Path) -> None:
    root = tmp_path / "unrelated"
    shutil.copytree(FIXTURES / "python" / "unrelated", root, ignore=shutil.ignore_patterns(".migrator"))
    for phase in ("expand", "contract"):
        done = run_cli("apply", "--write", "--phase", phase, ".", cwd=root)
        assert done.returncode == 0, done.stderr
    assert (root / "flow" / "sessions.py").read_bytes() == (FIXTURES / "python" / "unrelated" / "flow" / "sessions.py").read_bytes()
    assert (root / "flow" / "jobs.py").read_bytes() == (FIXTURES / "python" / "unrelated" / "flow" / "jobs.py").read_bytes()


def test_a_run_on_one_file_uses_the_facts_of_its_project(tmp_path: Path) -> None:
    root = _migrate(tmp_path)
    done = run_cli("scan", "--format", "json", "orch/rows.py", cwd=root)
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert {f["path"] for f in findings} == {"orch/rows.py"}  # only the given file is reported
    compare = next(f for f in findings if f["line"] == 12)
    assert compare["confidence"] == "certain" and "built in orch/client.py:8" in compare["why"]
    # The constant's uses are in other files of the project.
    done = run_cli("apply", "--write", "--phase", "expand", "orch/states.py", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "orch" / "states.py").read_bytes() == (EXPECTED / "expand" / "orch" / "states.py").read_bytes()
    assert (root / "orch" / "rows.py").read_bytes() == (TREE / "orch" / "rows.py").read_bytes()
