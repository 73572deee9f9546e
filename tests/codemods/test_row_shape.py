"""A row known by its shape. A status read from an object nothing traces
(a parameter no caller in the project passes) is a session status where the
same code also reads from it a key only session rows have (`abortedLastRun`,
or `aborted_last_run` as a model's column): `likely`, so rewritten. The keys
every record has (`status`, `key`, `updatedAt`, `agentId`) lift nothing: a
job queue's rows, a sessions_send reply and a subagent run read with them
stay as they are, and code that also handles another vocabulary stays for review."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from tests.conftest import imported, run_cli

# A library of checks over entries its users load; nothing here says where from.
CHECKS = '''def needs_restart(entry):
    if entry.get("abortedLastRun"):
        return entry.get("status") == "killed"
    return entry.get("status") in ("failed", "timeout")


class Mirror:
    aborted_last_run = False
    status = None

    def settled(self):
        return self.status in ("done", "failed") and not self.aborted_last_run
'''

# The same words over records of other vocabularies, read with shared keys.
OTHERS = '''def stale(job, now):
    return job["status"] in ("failed", "timeout") and now - job["updatedAt"] > 3600


def unanswered(reply):
    return reply.get("sessionKey") and reply.get("status") == "timeout"


def lost(run):
    return run.get("agentId") is not None and run.get("status") == "killed"
'''

# Session-shaped rows, but the same function also handles sessions_send replies.
MIXED = '''def triage(entry, gateway):
    reply = gateway.call("sessions_send", {"sessionKey": entry["key"], "message": "resume"})
    if entry.get("abortedLastRun") and entry.get("status") == "killed":
        return reply
    return None
'''


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "lib").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "lib"\n', "utf-8")
    (root / "lib" / "__init__.py").write_text("", "utf-8")
    (root / "lib" / "checks.py").write_text(CHECKS, "utf-8")
    (root / "lib" / "others.py").write_text(OTHERS, "utf-8")
    (root / "lib" / "mixed.py").write_text(MIXED, "utf-8")
    return root


EXPANDED = CHECKS.replace('== "killed"', 'in ("killed", "halted")').replace(
    '("failed", "timeout")', '("failed", "interrupted", "timeout", "waiting_for_response")').replace(
    '("done", "failed")', '("done", "agent_responded", "failed", "interrupted")')
CONTRACTED = CHECKS.replace('== "killed"', '== "halted"').replace(
    '("failed", "timeout")', '("interrupted", "waiting_for_response")').replace(
    '("done", "failed")', '("agent_responded", "interrupted")')


def test_scan_lifts_only_session_shaped_reads(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", "--show-why", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    lines = [line.split(" -> ")[0] for line in scan.stdout.splitlines() if line.startswith("lib/")]
    assert lines == [
        "lib/checks.py:3:39: status-compare [likely, rewrite] 'killed'",
        "lib/checks.py:4:36: status-membership [likely, rewrite] 'failed'",
        "lib/checks.py:4:46: status-membership [likely, rewrite] 'timeout'",
        "lib/checks.py:12:32: status-membership [likely, rewrite] 'done'",
        "lib/checks.py:12:40: status-membership [likely, rewrite] 'failed'",
        "lib/mixed.py:3:63: status-compare [possible, review] 'killed'",
        "lib/others.py:6:63: status-compare [possible, review] 'timeout'",
        "lib/others.py:10:68: status-compare [possible, review] 'killed'",
    ]
    assert "also read as `abortedLastRun`, which only a session row has" in scan.stdout


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_expand_and_contract_bytes_and_behaviour(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    old = [{"abortedLastRun": True, "status": "killed"}, {"status": "timeout"}, {"status": "running"}]
    new = [{"abortedLastRun": True, "status": "halted"}, {"status": "waiting_for_response"}, {"status": "running"}]
    for phase, expected, speaks in (("expand", EXPANDED, (old, new)), ("contract", CONTRACTED, (new,))):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert (root / "lib" / "checks.py").read_text("utf-8") == expected, phase
        assert (root / "lib" / "others.py").read_text("utf-8") == OTHERS
        assert (root / "lib" / "mixed.py").read_text("utf-8") == MIXED
        checks = _load(root / "lib" / "checks.py", f"checks_{phase}")
        for entries in speaks:
            assert [checks.needs_restart(e) for e in entries] == [True, True, False], phase
        mirror = checks.Mirror()
        mirror.status = "agent_responded"
        assert mirror.settled() is True


# A module of record types with no old name in it: `SessionRow` is built from
# an object read with `abortedLastRun`, which no caller in the project names;
# `CronRun` from a cron run line. The checks live in another module.
RECORDS = '''from dataclasses import dataclass


@dataclass(frozen=True)
class SessionRow:
    key: str
    status: str | None
    aborted: bool = False

    @classmethod
    def from_json(cls, row):
        return cls(row["key"], row.get("status"), bool(row.get("abortedLastRun")))


@dataclass(frozen=True)
class CronRun:
    job_id: str
    status: str
'''

TYPED_CHECKS = '''from .records import CronRun, SessionRow

WORDS = {"done": "finished", "failed": "crashed", "running": "working"}


def rerun(item: SessionRow) -> bool:
    return item.status in ("failed", "timeout") and not item.aborted


def word(item: SessionRow) -> str:
    return WORDS.get(item.status or "", "?")


def cron_broken(run: CronRun) -> bool:
    return run.status == "failed"
'''


def test_a_class_built_from_a_shaped_row_in_an_imported_module(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "kinds").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "kinds"\n', "utf-8")
    (root / "kinds" / "__init__.py").write_text("", "utf-8")
    (root / "kinds" / "records.py").write_text(RECORDS, "utf-8")
    (root / "kinds" / "checks.py").write_text(TYPED_CHECKS, "utf-8")
    scan = run_cli("scan", ".", "--show-why", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    lines = [line.split(" -> ")[0] for line in scan.stdout.splitlines() if line.startswith("kinds/")]
    assert lines == [
        "kinds/checks.py:3:10: status-dispatch [certain, rewrite] 'done'",
        "kinds/checks.py:3:30: status-dispatch [certain, rewrite] 'failed'",
        "kinds/checks.py:7:28: status-membership [certain, rewrite] 'failed'",
        "kinds/checks.py:7:38: status-membership [certain, rewrite] 'timeout'",
        "kinds/checks.py:15:26: status-compare [possible, review] 'failed'",
    ]
    assert "of an object also read as `abortedLastRun`, which only a session row has" in scan.stdout
    expanded = TYPED_CHECKS.replace('("failed", "timeout")', '("failed", "interrupted", "timeout", "waiting_for_response")').replace(
        '"done": "finished", "failed": "crashed",',
        '"done": "finished", "agent_responded": "finished", "failed": "crashed", "interrupted": "crashed",')
    contracted = TYPED_CHECKS.replace('("failed", "timeout")', '("interrupted", "waiting_for_response")').replace(
        '{"done": "finished", "failed": "crashed"', '{"agent_responded": "finished", "interrupted": "crashed"')
    for phase, expected in (("expand", expanded), ("contract", contracted)):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert (root / "kinds" / "checks.py").read_text("utf-8") == expected, phase
        assert (root / "kinds" / "records.py").read_text("utf-8") == RECORDS
    with imported(root, "kinds"):
        from kinds import checks, records  # type: ignore[import-not-found]

        row = records.SessionRow.from_json({"key": "k", "status": "interrupted"})
        assert (checks.rerun(row), checks.word(row)) == (True, "crashed")
        assert checks.cron_broken(records.CronRun("j", "failed")) is True
