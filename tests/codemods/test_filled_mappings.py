"""Mappings filled with session rows. A module-level mapping filled with
session rows (`_rows[key] = {**entry}`
for each entry of every agent's sessions.json) holds session rows: its
values, read in the module (`for e in _rows.values()`) and through its
helpers in another module (`mirror.rows()`, `mirror.get(key)`), are session
rows, and a helper of a third module that looks the status up in a table
(`TO_CODE.get(status or "")`) is passed a session status. A placeholder
with no status (`setdefault(key, {"key": key})`) changes nothing. A mapping
of the same module filled from cron run records stays as it is."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import imported, run_cli, write_package

MIRROR = '''import json
from pathlib import Path

_rows: dict[str, dict] = {}
_runs = {}


def load(state: Path) -> None:
    _rows.clear()
    for store in sorted((state / "agents").glob("*/sessions/sessions.json")):
        for key, entry in json.loads(store.read_text()).items():
            _rows[key] = {"key": key, **entry}
    for line in (state / "cron" / "runs" / "nightly.jsonl").read_text().splitlines():
        run = json.loads(line)
        _runs[run["id"]] = run


def rows() -> list[dict]:
    return list(_rows.values())


def get(key: str) -> dict | None:
    return _rows.get(key)


def touch(key: str) -> None:
    _rows.setdefault(key, {"key": key})


def stale() -> list[str]:
    return [e["key"] for e in _rows.values() if e.get("status") == "timeout"]


def broken_runs() -> list[str]:
    return [r["id"] for r in _runs.values() if r.get("status") == "failed"]
'''

CODES = '''TO_CODE = {"running": 1, "done": 2, "failed": 3, "killed": 4, "timeout": 5}


def encode(status: str | None) -> int:
    return TO_CODE.get(status or "", 0)
'''

API = '''from . import mirror
from .codes import encode


def public(entry: dict) -> dict:
    return {"key": entry["key"], "code": encode(entry.get("status")), "stopped": entry.get("status") == "killed"}


def ended() -> list[dict]:
    return [public(r) for r in mirror.rows() if r.get("status") in ("done", "failed", "killed", "timeout")]


def one(key: str) -> dict | None:
    entry = mirror.get(key)
    return None if entry is None else public(entry)
'''


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    write_package(root, "serve", {"mirror.py": MIRROR, "codes.py": CODES, "api.py": API})
    return root


def test_scan_follows_the_rows_the_mapping_holds(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "serve/api.py:6:105: status-compare [certain, rewrite] 'killed' -> 'halted'",
        "serve/api.py:10:69: status-membership [certain, rewrite] 'done' -> 'agent_responded'",
        "serve/api.py:10:77: status-membership [certain, rewrite] 'failed' -> 'interrupted'",
        "serve/api.py:10:87: status-membership [certain, rewrite] 'killed' -> 'halted'",
        "serve/api.py:10:97: status-membership [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "serve/codes.py:1:26: status-dispatch [certain, rewrite] 'done' -> 'agent_responded'",
        "serve/codes.py:1:37: status-dispatch [certain, rewrite] 'failed' -> 'interrupted'",
        "serve/codes.py:1:50: status-dispatch [certain, rewrite] 'killed' -> 'halted'",
        "serve/codes.py:1:63: status-dispatch [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "serve/mirror.py:31:68: status-compare [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "4 files scanned, 10 findings: 10 to rewrite, 0 to review (expand phase)",
    ]


ENDED = '("done", "failed", "killed", "timeout")'
EXPANDED = {
    "mirror.py": MIRROR.replace('== "timeout"]', 'in ("timeout", "waiting_for_response")]'),
    "codes.py": CODES.replace('"done": 2, "failed": 3, "killed": 4, "timeout": 5',
                              '"done": 2, "agent_responded": 2, "failed": 3, "interrupted": 3, "killed": 4, '
                              '"halted": 4, "timeout": 5, "waiting_for_response": 5'),
    "api.py": API.replace('== "killed"}', 'in ("killed", "halted")}').replace(
        ENDED, '("done", "agent_responded", "failed", "interrupted", "killed", "halted", "timeout", '
               '"waiting_for_response")'),
}
CONTRACTED = {
    "mirror.py": MIRROR.replace('== "timeout"]', '== "waiting_for_response"]'),
    "codes.py": CODES.replace('"done": 2, "failed": 3, "killed": 4, "timeout": 5',
                              '"agent_responded": 2, "interrupted": 3, "halted": 4, "waiting_for_response": 5'),
    "api.py": API.replace('== "killed"}', '== "halted"}').replace(
        ENDED, '("agent_responded", "interrupted", "halted", "waiting_for_response")'),
}


def _state(tmp_path: Path, words: dict[str, str]) -> Path:
    state = tmp_path / "state"
    (state / "agents" / "main" / "sessions").mkdir(parents=True, exist_ok=True)
    (state / "cron" / "runs").mkdir(parents=True, exist_ok=True)
    entries = {"a": {"status": words["killed"]}, "b": {"status": words["timeout"]}, "c": {"status": "running"}}
    (state / "agents" / "main" / "sessions" / "sessions.json").write_text(json.dumps(entries), "utf-8")
    (state / "cron" / "runs" / "nightly.jsonl").write_text('{"id": "r1", "status": "failed"}\n', "utf-8")
    return state


OLD = {"killed": "killed", "timeout": "timeout"}
NEW = {"killed": "halted", "timeout": "waiting_for_response"}


def test_expand_and_contract_bytes_and_behaviour(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    for phase, speaks, expected in (("expand", (OLD, NEW), EXPANDED), ("contract", (NEW,), CONTRACTED)):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        for name, text in expected.items():
            assert (root / "serve" / name).read_text("utf-8") == text, (phase, name)
        with imported(root, "serve"):
            for words in speaks:
                from serve import api, mirror as held  # type: ignore[import-not-found]

                held.load(_state(tmp_path, words))
                held.touch("d")
                assert [e["key"] for e in api.ended()] == ["a", "b"], (phase, words)
                assert api.one("a") == {"key": "a", "code": 4, "stopped": True}, (phase, words)
                assert held.stale() == ["b"], (phase, words)
                assert held.broken_runs() == ["r1"], (phase, words)


# The same on an object: a watcher's cache of rows by key, filled from a
# `sessions.list` response and kept up to date from `sessions.changed`
# events; the reaper tests and writes the rows it holds. Its queue of the
# `process` tool's exec sessions, filled from `process` results, stays.
WATCHER = '''class Watcher:
    def __init__(self, gateway):
        self.gateway = gateway
        self.cache: dict[str, dict] = {}
        self.procs = {}

    def snapshot(self):
        for row in self.gateway.request("sessions.list", {"limit": 500}).get("sessions", []):
            self.cache[row["key"]] = row
        for proc in self.gateway.invoke("process", {"action": "list"}).get("sessions", []):
            self.procs[proc["sessionId"]] = proc

    def changed(self, ev):
        row = self.cache.setdefault(ev["sessionKey"], {"key": ev["sessionKey"]})
        row.update(ev)

    def reap(self, too_long):
        out = []
        for key, row in list(self.cache.items()):
            if row.get("status") == "running" and key in too_long:
                row["status"] = "killed"
                out.append(key)
            elif row.get("status") == "failed":
                out.append("nudge " + key)
        return out + [p["sessionId"] for p in self.procs.values() if p.get("status") == "failed"]
'''


def test_an_object_caching_rows_by_key(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    write_package(root, "watch", {"watcher.py": WATCHER})
    scan = run_cli("scan", ".", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "watch/watcher.py:23:39: status-compare [certain, rewrite] 'failed' -> 'interrupted'",
        "watch/watcher.py:21:33: status-writer: `killed` kept in expand (a written or single value), "
        "`halted` in contract: contract pending",
        "2 files scanned, 1 finding: 1 to rewrite, 0 to review (expand phase)",
    ]
    expected = {
        "expand": WATCHER.replace('elif row.get("status") == "failed"', 'elif row.get("status") in ("failed", "interrupted")'),
        "contract": WATCHER.replace('elif row.get("status") == "failed"', 'elif row.get("status") == "interrupted"').replace(
            '"killed"', '"halted"'),
    }

    class Gateway:
        def __init__(self, failed: str) -> None:
            self.failed = failed

        def request(self, method: str, params: dict) -> dict:
            return {"sessions": [{"key": "a", "status": "running"}, {"key": "b", "status": self.failed}]}

        def invoke(self, tool: str, args: dict) -> dict:
            return {"sessions": [{"sessionId": "p1", "status": "failed"}]}

    for phase in ("expand", "contract"):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert (root / "watch" / "watcher.py").read_text("utf-8") == expected[phase], phase
        with imported(root, "watch"):
            from watch import watcher  # type: ignore[import-not-found]

            for failed in ("failed", "interrupted") if phase == "expand" else ("interrupted",):
                w = watcher.Watcher(Gateway(failed))
                w.snapshot()
                w.changed({"sessionKey": "c", "status": "running"})
                assert w.reap({"a"}) == ["a", "nudge b", "p1"], (phase, failed)
                assert w.cache["a"]["status"] == ("killed" if phase == "expand" else "halted")
