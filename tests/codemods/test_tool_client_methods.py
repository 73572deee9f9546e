"""A client class whose methods share one helper for every tool it invokes
through `POST /tools/invoke` (`self.payload(await self.invoke(tool, args))`)
is read per call: the `sessions_list` method returns session rows, the
`agents_wait` method another vocabulary's run results, though both go
through the same helper. A method returning a tuple (`return done, pending`)
tells the modules that unpack it what each item is. A `Literal` typing the
status of a record class nothing ties to session rows is listed for review,
not rewritten for the module talking to OpenClaw."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

CLIENT = '''"""A small client of the gateway's POST /tools/invoke."""
from typing import Any, Literal, TypedDict

RunState = Literal["done", "failed", "killed", "timeout"]


class ChildRun(TypedDict, total=False):
    runId: str
    status: RunState


class Tools:
    def __init__(self, url: str, http: Any = None) -> None:
        if http is None:
            import httpx

            http = httpx.AsyncClient(base_url=url)
        self.http = http

    async def invoke(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        resp = await self.http.post("/tools/invoke", json={"tool": tool, "args": args})
        return dict(resp.json()["result"])

    @staticmethod
    def payload(result: dict[str, Any]) -> dict[str, Any]:
        return result.get("details") or {}

    async def sessions(self) -> list[dict[str, Any]]:
        page = self.payload(await self.invoke("sessions_list", {"limit": 100}))
        return list(page.get("sessions", []))

    async def wait(self, ids: list[str]) -> tuple[list[ChildRun], list[str]]:
        page = self.payload(await self.invoke("agents_wait", {"ids": ids}))
        return list(page.get("completed", [])), list(page.get("pending", []))
'''

WATCH = '''from .client import Tools

ENDED = {"failed", "timeout"}
CHILD_FAILED = {"failed", "killed"}


async def ended(tools: Tools) -> list[str]:
    return [row["key"] for row in await tools.sessions() if row.get("status") in ENDED]


async def children(tools: Tools, ids: list[str]) -> list[str]:
    done, pending = await tools.wait(ids)
    bad = []
    for child in done:
        if child.get("status") == "timeout":
            bad.append("late:" + child["runId"])
        elif child.get("status") in CHILD_FAILED:
            bad.append(child["runId"])
    return bad
'''

CALL = '''import asyncio, sys

from pkg.client import Tools
from pkg.watch import children, ended

status = sys.argv[1]


class Answer:
    def __init__(self, body):
        self.body = body

    def json(self):
        return self.body


class Gateway:
    """Answers as the gateway's /tools/invoke does."""

    async def post(self, path, json):
        if json["tool"] == "sessions_list":
            rows = [{"key": "a", "status": status}, {"key": "b", "status": "running"}]
            return Answer({"ok": True, "result": {"details": {"sessions": rows}}})
        runs = [{"runId": "r1", "status": "timeout"}, {"runId": "r2", "status": "killed"},
                {"runId": "r3", "status": "done"}]
        return Answer({"ok": True, "result": {"details": {"completed": runs, "pending": []}}})


async def main():
    tools = Tools("http://gw", Gateway())
    print(await ended(tools), await children(tools, ["r1", "r2", "r3"]))

asyncio.run(main())
'''


def _tree(root: Path) -> None:
    (root / "pkg").mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "pkg"\n', "utf-8")
    (root / "pkg" / "__init__.py").write_text("", "utf-8")
    (root / "pkg" / "client.py").write_text(CLIENT, "utf-8")
    (root / "pkg" / "watch.py").write_text(WATCH, "utf-8")


def test_each_tool_read_through_the_shared_helper_keeps_its_own_source(tmp_path: Path) -> None:
    _tree(tmp_path)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout == (
        "pkg/watch.py:3:10: status-constant [certain, rewrite] 'failed' -> 'interrupted'\n"
        "pkg/watch.py:3:20: status-constant [certain, rewrite] 'timeout' -> 'waiting_for_response'\n"
        "to review (4):\n"
        "pkg/client.py:4:20: status-literal-type [possible, review] 'done' -> 'agent_responded'\n"
        "pkg/client.py:4:28: status-literal-type [possible, review] 'failed' -> 'interrupted'\n"
        "pkg/client.py:4:38: status-literal-type [possible, review] 'killed' -> 'halted'\n"
        "pkg/client.py:4:48: status-literal-type [possible, review] 'timeout' -> 'waiting_for_response'\n"
        "3 files scanned, 6 findings: 2 to rewrite, 4 to review (expand phase)\n"
    )


def test_the_migrated_package_reads_sessions_in_both_names_and_children_as_before(tmp_path: Path) -> None:
    _tree(tmp_path)
    before = (tmp_path / "pkg" / "watch.py").read_bytes()
    client = (tmp_path / "pkg" / "client.py").read_bytes()
    (tmp_path / "call.py").write_text(CALL, "utf-8")
    expand = run_cli("apply", "--write", "pkg", cwd=tmp_path)
    assert expand.returncode == 0, expand.stderr
    assert (tmp_path / "pkg" / "watch.py").read_bytes() == before.replace(
        b'ENDED = {"failed", "timeout"}', b'ENDED = {"failed", "interrupted", "timeout", "waiting_for_response"}')
    assert (tmp_path / "pkg" / "client.py").read_bytes() == client  # the review finding is not applied

    def call(status: str) -> str:
        done = subprocess.run([sys.executable, "call.py", status], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    children = "['late:r1', 'r2']"
    for status in ("failed", "interrupted", "timeout", "waiting_for_response"):
        assert call(status) == f"['a'] {children}\n"
    assert call("running") == f"[] {children}\n"
    contract = run_cli("apply", "--write", "--phase", "contract", "pkg", cwd=tmp_path)
    assert contract.returncode == 0, contract.stderr
    assert (tmp_path / "pkg" / "watch.py").read_bytes() == before.replace(
        b'ENDED = {"failed", "timeout"}', b'ENDED = {"interrupted", "waiting_for_response"}')
    assert call("interrupted") == f"['a'] {children}\n"
    assert call("failed") == f"[] {children}\n"
