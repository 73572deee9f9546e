"""A row known by its shape across the methods of a class: `ended()` reads
only the status of the items of `self.rows`, `stopped()` reads
`abortedLastRun` of the items of the same container, a key only session rows
have, so both read session rows. The items of another container of the
class (`self.jobs`) are not judged by it. Nor is a `Literal` of session
words in a module that names no source: there, the rows it reads by their
shape tie it to session rows (`Status`, the whole vocabulary), but not one
mixed with other words (`Sync`) or of ended runs only (`Outcome`, as an
`agents_wait` child's status may be)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

FILES = {
    "cache.py": '''from typing import Literal

Status = Literal["running", "done", "failed", "killed"]
Sync = Literal["idle", "syncing", "done", "failed"]
Outcome = Literal["done", "killed"]
ENDED = frozenset({"done", "failed", "killed"})


class Cache:
    def __init__(self):
        self.rows = {}
        self.jobs = {}

    def load(self, roster):
        self.rows = {r["key"]: dict(r) for r in roster}

    def ended(self):
        return sorted(k for k, r in self.rows.items() if r.get("status") in ENDED)

    def stopped(self):
        return [r["key"] for r in self.rows.values() if r.get("abortedLastRun")]

    def jobs_done(self):
        return [k for k, j in self.jobs.items() if j.get("status") == "done"]
''',
}


def test_scan_judges_the_items_of_one_container_by_what_any_method_reads(tmp_path: Path) -> None:
    write_package(tmp_path, "cachelib", FILES)
    scan = run_cli("scan", ".", "--show-why", "--min-confidence", "possible", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    why = ("constant `ENDED` is used in a status test: compared with `r.get(\"status\")`, an item of `self.rows`, "
           "whose items are also read as `abortedLastRun`, which only a session row has")
    typed = ("`Literal` of session words annotating `Status`; the module reads session rows at line 18: "
             "`r.get(\"status\")`, an item of `self.rows`, whose items are also read as `abortedLastRun`")
    assert scan.stdout.splitlines() == [
        f"cachelib/cache.py:3:29: status-literal-type [likely, rewrite] 'done' -> 'agent_responded': {typed}",
        f"cachelib/cache.py:3:37: status-literal-type [likely, rewrite] 'failed' -> 'interrupted': {typed}",
        f"cachelib/cache.py:3:47: status-literal-type [likely, rewrite] 'killed' -> 'halted': {typed}",
        f"cachelib/cache.py:6:20: status-set-call [likely, rewrite] 'done' -> 'agent_responded': {why}",
        f"cachelib/cache.py:6:28: status-set-call [likely, rewrite] 'failed' -> 'interrupted': {why}",
        f"cachelib/cache.py:6:38: status-set-call [likely, rewrite] 'killed' -> 'halted': {why}",
        "2 files scanned, 6 findings: 6 to rewrite, 0 to review (expand phase)",
    ]


def test_expand_then_contract_touch_the_session_constant_only(tmp_path: Path) -> None:
    package = write_package(tmp_path, "cachelib", FILES)
    cache = FILES["cache.py"]
    apply_phase(tmp_path, "expand", package, FILES, {"cache.py": cache.replace(
        '{"done", "failed", "killed"}', '{"done", "agent_responded", "failed", "interrupted", "killed", "halted"}'
    ).replace('["running", "done", "failed", "killed"]',
              '["running", "done", "agent_responded", "failed", "interrupted", "killed", "halted"]')})
    apply_phase(tmp_path, "contract", package, FILES, {"cache.py": cache.replace(
        '{"done", "failed", "killed"}', '{"agent_responded", "interrupted", "halted"}'
    ).replace('["running", "done", "failed", "killed"]', '["running", "agent_responded", "interrupted", "halted"]')})
