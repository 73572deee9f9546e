"""Judge the codemod by behaviour: import the migrated demo orchestrator and
run it against a real HTTP endpoint on loopback that answers like an OpenClaw
gateway's /tools/invoke, once with old names and once with new ones."""

from __future__ import annotations

import importlib
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import run_cli
from migrator.manifest import load_manifest

VOCAB = load_manifest().vocabulary
OLD_ROWS = [
    {"key": "agent:main:main", "status": "running"},
    {"key": "agent:main:subagent:a", "status": "done"},
    {"key": "agent:main:subagent:b", "status": "failed"},
    {"key": "agent:main:subagent:c", "status": "timeout"},
    {"key": "agent:main:subagent:d", "status": "killed"},
    {"key": "agent:main:subagent:e"},
]


def _new_rows() -> list[dict[str, Any]]:
    return [{**r, "status": VOCAB.to_new(r["status"])} if "status" in r else dict(r) for r in OLD_ROWS]


class Gateway:
    """Answers sessions_list with ``rows`` and sessions_send with ``send_status``."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = OLD_ROWS
        self.send_status = "timeout"
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if body["tool"] == "sessions_list":
                    details: dict[str, Any] = {"count": len(gateway.rows), "sessions": gateway.rows}
                else:
                    details = {"status": gateway.send_status, "runId": "r1"}
                payload = json.dumps({"ok": True, "details": details, "content": [{"type": "text", "text": json.dumps(details)}]})
                data = payload.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    gw = Gateway()
    monkeypatch.setenv("OPENCLAW_GATEWAY_URL", gw.url)
    yield gw
    gw.close()


def _load(tree: Path) -> Any:
    for name in list(sys.modules):
        if name == "orchestrator" or name.startswith("orchestrator."):
            del sys.modules[name]
    sys.path.insert(0, str(tree))
    try:
        return importlib.import_module("orchestrator.monitor")
    finally:
        sys.path.remove(str(tree))


def test_original_behaviour_is_the_reference(demo: Path, gateway: Gateway) -> None:
    monitor = _load(demo)
    stuck, finished = monitor.sweep()
    assert stuck == ["agent:main:subagent:c"]
    assert finished == ["agent:main:subagent:a", "agent:main:subagent:b", "agent:main:subagent:c", "agent:main:subagent:d"]
    gateway.rows = _new_rows()
    assert monitor.sweep() == ([], [])  # the unmigrated code misreads a new gateway


def test_expand_reads_old_and_new_gateways_alike(demo: Path, gateway: Gateway) -> None:
    assert run_cli("apply", ".", "--write", "--phase", "expand", cwd=demo).returncode == 0
    monitor = _load(demo)
    expected = monitor.sweep()
    assert expected[0] == ["agent:main:subagent:c"]
    gateway.rows = _new_rows()
    assert monitor.sweep() == expected
    # sessions_send keeps its own vocabulary: "timeout" still means the wait elapsed
    assert monitor.nudge("agent:main:main") == "no answer yet"
    gateway.send_status = "ok"
    assert monitor.nudge("agent:main:main") == "answered"


def test_contract_reads_new_names(demo: Path, gateway: Gateway) -> None:
    reference = _load(demo).sweep()
    assert run_cli("apply", ".", "--write", "--phase", "contract", cwd=demo).returncode == 0
    monitor = _load(demo)
    gateway.rows = _new_rows()
    assert monitor.sweep() == reference
    gateway.send_status = "timeout"
    assert monitor.nudge("agent:main:main") == "no answer yet"


def test_unrelated_job_runner_behaves_as_before(demo: Path) -> None:
    before = (demo / "jobs" / "runner.py").read_bytes()
    assert run_cli("apply", ".", "--write", "--phase", "contract", cwd=demo).returncode == 0
    assert (demo / "jobs" / "runner.py").read_bytes() == before
