"""An orchestrator's own plumbing between a session event and a status test:
a handler registered by a call (``hub.on("sessions.changed", self.changed)``),
a queue between that handler and the loop that reads it, a method of a class
of another module given the row's status (``self.gate.allows(status)``), and
the collection that method tests held as a dataclass field's default
(``resume_on: tuple = field(default=RESUMABLE)``). The same package has a job
worker with the same words, its own queue and its own gate: it stays."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

HUB = '''"""A gateway client: handlers per event, and request/response calls."""

from typing import Any, Awaitable, Callable


class Hub:
    def __init__(self, send: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]) -> None:
        self.send = send
        self.handlers: dict[str, list[Callable[[dict[str, Any]], Awaitable[None]]]] = {}

    def on(self, event: str, handler: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        self.handlers.setdefault(event, []).append(handler)

    async def emit(self, event: str, payload: dict[str, Any]) -> None:
        for handler in self.handlers.get(event, []):
            await handler(payload)
'''

POLICY = '''from dataclasses import dataclass, field

RESUMABLE = ("timeout",)
JOB_RETRY = ("failed", "timeout")


@dataclass
class Gate:
    resume_on: tuple[str, ...] = field(default=RESUMABLE)

    def allows(self, status: str | None) -> bool:
        return status in self.resume_on


@dataclass
class JobGate:
    retry_on: tuple[str, ...] = field(default=JOB_RETRY)

    def allows(self, state: str) -> bool:
        return state in self.retry_on
'''

WATCH = '''import asyncio
from typing import Any

from .hub import Hub
from .policy import Gate


class Watcher:
    def __init__(self, hub: Hub, gate: Gate) -> None:
        self.hub = hub
        self.gate = gate
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def start(self) -> None:
        self.hub.on("sessions.changed", self.changed)

    async def changed(self, payload: dict[str, Any]) -> None:
        await self.inbox.put(payload.get("session") or {})

    async def step(self) -> str:
        row = await self.inbox.get()
        status = row.get("status")
        if self.gate.allows(status):
            return "resume"
        if status == "done":
            return "ok"
        return "wait"
'''

JOBS = '''import queue

from .policy import JobGate


class Worker:
    def __init__(self, gate: JobGate) -> None:
        self.gate = gate
        self.todo: queue.Queue[dict[str, str]] = queue.Queue()

    def fail(self, name: str) -> None:
        self.todo.put({"name": name, "state": "failed"})

    def next_action(self) -> str:
        job = self.todo.get()
        state = job["state"]
        if self.gate.allows(state):
            return "retry"
        return "done" if state == "done" else "drop"
'''

FILES = {"hub.py": HUB, "policy.py": POLICY, "watch.py": WATCH, "jobs.py": JOBS}
EXPANDED = {
    "policy.py": POLICY.replace('RESUMABLE = ("timeout",)', 'RESUMABLE = ("timeout", "waiting_for_response",)'),
    "watch.py": WATCH.replace('status == "done"', 'status in ("done", "agent_responded")'),
}
CONTRACTED = {
    "policy.py": POLICY.replace('RESUMABLE = ("timeout",)', 'RESUMABLE = ("waiting_for_response",)'),
    "watch.py": WATCH.replace('status == "done"', 'status == "agent_responded"'),
}

BEHAVIOUR = '''
import asyncio
from relay.hub import Hub
from relay.jobs import Worker
from relay.policy import Gate, JobGate
from relay.watch import Watcher

async def send(method, params):
    return {}

async def main(statuses):
    watcher = Watcher(Hub(send), Gate())
    watcher.start()
    out = []
    for status in statuses:
        await watcher.hub.emit("sessions.changed", {"session": {"key": "k", "status": status}})
        out.append(await watcher.step())
    return out

print(*asyncio.run(main({statuses})))
worker = Worker(JobGate())
worker.fail("export")
worker.todo.put({"name": "n", "state": "done"})
worker.todo.put({"name": "t", "state": "timeout"})
print(worker.next_action(), worker.next_action(), worker.next_action())
'''


def _tree(root: Path) -> Path:
    return write_package(root, "relay", FILES)


def _run(root: Path, statuses: list[str]) -> list[str]:
    done = subprocess.run([sys.executable, "-c", BEHAVIOUR.replace("{statuses}", repr(statuses))],
                          cwd=root, capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_a_status_through_a_handler_a_queue_a_method_and_a_field_default(tmp_path: Path) -> None:
    package = _tree(tmp_path)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "relay/policy.py:3:14: status-constant [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "relay/watch.py:25:22: status-compare [certain, rewrite] 'done' -> 'agent_responded'",
        # The worker's own queue holds jobs: `state = job["state"]` reads a job's
        # `state` field, not a `status`, so its test is no finding at all.
        "5 files scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ]
    why = run_cli("scan", ".", "--show-why", cwd=tmp_path).stdout
    assert "through `self.resume_on` (line 12): compared with `status`, where `status` of `allows()` is passed, " \
        "at relay/watch.py:23" in why, why
    assert "what is put in `self.inbox`, the `session` of `payload` is the payload of a `sessions.changed` " \
        "handler (registered at line 15)" in why, why
    before = _run(tmp_path, ["timeout", "done", "running"])
    assert before == ["resume ok wait", "retry done retry"]
    apply_phase(tmp_path, "expand", package, FILES, EXPANDED)
    assert _run(tmp_path, ["timeout", "done", "running"]) == before
    assert _run(tmp_path, ["waiting_for_response", "agent_responded"]) == ["resume ok", "retry done retry"]
    apply_phase(tmp_path, "contract", package, FILES, CONTRACTED)
    assert _run(tmp_path, ["waiting_for_response", "agent_responded", "timeout"]) == [
        "resume ok wait", "retry done retry"]


def test_contract_from_the_original_tree_gives_the_same_bytes(tmp_path: Path) -> None:
    package = _tree(tmp_path)
    apply_phase(tmp_path, "contract", package, FILES, CONTRACTED)


def test_another_field_of_a_session_row_given_to_a_parameter_stays(tmp_path: Path) -> None:
    """Every field read from a session row comes from where the row does: a
    parameter given another field (an error kind) is no session status, even
    compared with an old name."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "errs"\n', "utf-8")
    text = '''import json


def classify(kind, status):
    if status == "killed":
        return "stopped"
    return "retry" if kind == "timeout" else "keep"


for row in json.load(open("agents/main/sessions/sessions.json")).values():
    print(classify(row.get("lastError"), row.get("status")))
'''
    (tmp_path / "errs.py").write_text(text, "utf-8")
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "errs.py:5:18: status-compare [certain, rewrite] 'killed' -> 'halted'",
        "1 file scanned, 1 finding: 1 to rewrite, 0 to review (expand phase)",
    ], scan.stdout
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "errs.py").read_text("utf-8") == text.replace('"killed"', '"halted"')
