"""Caller code imported after migration and called with old and new values.

fixtures/python/callers is a small package that reads sessions over HTTP,
WebSocket frames and sessions.json, shares constants across modules, and also
uses the same words in other vocabularies. fixtures/python/expected holds the
after-files a person reviewed for each phase.
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

import pytest

from tests.conftest import FIXTURES, run_cli, snapshot

CALLERS = FIXTURES / "python" / "callers"
EXPECTED = FIXTURES / "python" / "expected"
UNRELATED = FIXTURES / "python" / "unrelated"
OLD_TO_NEW = {"done": "agent_responded", "failed": "interrupted", "timeout": "waiting_for_response", "killed": "halted"}


def _migrate(tmp_path: Path, phase: str) -> Path:
    root = tmp_path / phase
    shutil.copytree(CALLERS, root, ignore=shutil.ignore_patterns(".migrator"))
    done = run_cli("apply", "--write", "--phase", phase, ".", cwd=root)
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def load_app() -> Iterator[Any]:
    loaded: list[str] = []

    def load(root: Path, name: str) -> ModuleType:
        sys.path.insert(0, str(root))
        try:
            for key in [k for k in sys.modules if k == "app" or k.startswith("app.")]:
                del sys.modules[key]
            module = importlib.import_module(f"app.{name}")
            loaded.append(str(root))
            return module
        finally:
            sys.path.remove(str(root))

    yield load
    for key in [k for k in sys.modules if k == "app" or k.startswith("app.")]:
        del sys.modules[key]


def _transport(rows: list[dict[str, Any]], reply: str = "ok") -> Any:
    def transport(body: bytes) -> bytes:
        tool = json.loads(body)["tool"]
        if tool == "sessions_list":
            return json.dumps({"details": {"count": len(rows), "sessions": rows}}).encode()
        return json.dumps({"status": reply}).encode()

    return transport


def _rows(names: list[str]) -> list[dict[str, Any]]:
    return [{"key": f"agent:main:{i}", "status": s} for i, s in enumerate(names)]


@pytest.mark.parametrize("phase", ["expand", "contract"])
def test_after_files_match_the_reviewed_expectations(tmp_path: Path, phase: str) -> None:
    root = _migrate(tmp_path, phase)
    got = {k: v for k, v in snapshot(root / "app").items()}
    want = snapshot(EXPECTED / phase / "app")
    assert got == want


def test_files_without_provenance_are_byte_identical(tmp_path: Path) -> None:
    for phase in ("expand", "contract"):
        root = _migrate(tmp_path, phase)
        for name in ("client.py", "outcomes.py", "__init__.py"):
            assert (root / "app" / name).read_bytes() == (CALLERS / "app" / name).read_bytes(), name


def _vocabularies(phase: str) -> list[tuple[str, bool]]:
    """(value, accepted by a session-status reader) for each value."""
    out = []
    for old, new in OLD_TO_NEW.items():
        out.append((old, phase == "expand"))
        out.append((new, True))
    return out


@pytest.mark.parametrize("phase", ["expand", "contract"])
def test_session_readers_accept_the_phase_vocabulary(tmp_path: Path, phase: str, load_app: Any) -> None:
    root = _migrate(tmp_path, phase)
    monitor = load_app(root, "monitor")
    for value, accepted in _vocabularies(phase):
        keys = monitor.finished_keys(_transport(_rows([value, "running"])))
        assert (keys == ["agent:main:0"]) is accepted, (phase, value)
    for value in ("timeout", "waiting_for_response"):
        got = monitor.waiting(_transport(_rows([value])))
        assert bool(got) is (value != "timeout" or phase == "expand"), (phase, value)
    events = load_app(root, "events")
    frame = lambda s: json.dumps({"type": "event", "event": "sessions.changed", "payload": {"status": s}})  # noqa: E731
    assert events.on_frame(frame("running")) == "busy"
    for old, label in (("done", "answered"), ("failed", "stopped"), ("killed", "stopped")):
        assert events.on_frame(frame(OLD_TO_NEW[old])) == label
        assert events.on_frame(frame(old)) == (label if phase == "expand" else "other")
    store = load_app(root, "store")
    state = tmp_path / f"state-{phase}"
    state.mkdir()
    (state / "sessions.json").write_text(
        json.dumps({"a": {"status": "timeout"}, "b": {"status": "waiting_for_response"}, "c": {"status": "running"}})
    )
    assert store.stuck(str(state)) == (["a", "b"] if phase == "expand" else ["b"])
    dispatch = load_app(root, "dispatch")
    routed = dispatch.route(_transport(_rows(["done", "agent_responded", "failed", "interrupted", "running"])))
    if phase == "expand":
        assert routed == ["archived", "archived", "paged", "paged", "ignored"]
    else:
        assert routed == ["ignored", "archived", "ignored", "paged", "ignored"]
    rows = load_app(root, "rows")
    assert rows.count_done(_transport(_rows(["done", "agent_responded"]))) == (2 if phase == "expand" else 1)


@pytest.mark.parametrize("phase", ["expand", "contract"])
def test_other_vocabularies_behave_as_before(tmp_path: Path, phase: str, load_app: Any) -> None:
    root = _migrate(tmp_path, phase)
    monitor = load_app(root, "monitor")
    # sessions_send: timeout means the wait elapsed, in every phase.
    assert monitor.nudge("k", _transport([], reply="timeout")) == "no answer yet"
    assert monitor.nudge("k", _transport([], reply="waiting_for_response")) == "error"
    assert monitor.nudge("k", _transport([], reply="ok")) == "answered"
    outcomes = load_app(root, "outcomes")
    runs = tmp_path / f"runs-{phase}.json"
    runs.write_text(json.dumps({"version": 2, "runs": {"r1": {"outcome": {"status": "timeout"}}}}))
    assert outcomes.run_timed_out(str(runs), "r1") is True
    assert outcomes.process_ended({"status": "killed"}) is True
    assert outcomes.process_ended({"status": "halted"}) is False
    assert outcomes.subagent_done([{"status": "done"}, {"status": "agent_responded"}]) == [{"status": "done"}]
    events = load_app(root, "events")
    assert events.on_hello(json.dumps({"acp": {"state": "running"}})) is True


def test_workflow_engine_corpus_is_never_rewritten(tmp_path: Path) -> None:
    root = tmp_path / "unrelated"
    shutil.copytree(UNRELATED, root, ignore=shutil.ignore_patterns(".migrator"))
    before = snapshot(root)
    for phase in ("expand", "contract"):
        done = run_cli("apply", "--write", "--phase", phase, ".", cwd=root)
        assert done.returncode == 0, done.stderr
        assert snapshot(root) == before
    scan = run_cli("scan", "--format", "json", ".", cwd=root)
    assert json.loads(scan.stdout)["findings"] == []
