"""pytest-openclaw: fail the test run when an OpenClaw session broke while it ran.

Our integration tests drive real agents. A test can pass while the agent behind
it crashed, so we compare `openclaw sessions --json` before and after the run.

    pytest -p pytest_openclaw.plugin --openclaw-agent work
"""
from __future__ import annotations

import json
import subprocess

import pytest

# a session whose run ended like this during the tests is a broken test run
BROKEN = ("failed", "timeout")


def openclaw_sessions(agent: str | None = None, timeout: float = 60) -> tuple[str, list[dict]]:
    """Run the CLI; returns (how the CLI call went, the session rows)."""
    cmd = ["openclaw", "sessions", "--json", "--limit", "all"]
    cmd += ["--agent", agent] if agent else ["--all-agents"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        return "missing", []
    except subprocess.TimeoutExpired:
        return "timeout", []
    if proc.returncode != 0:
        return "failed", []
    return "ok", json.loads(proc.stdout).get("sessions", [])


def pytest_addoption(parser):
    group = parser.getgroup("openclaw")
    group.addoption("--openclaw-agent", default=None, help="agent whose sessions to watch (default: all)")
    group.addoption("--openclaw-strict", action="store_true", help="also fail on sessions a user stopped")


class SessionWatch:
    def __init__(self, config):
        self.config = config
        self.before: dict[str, dict] = {}
        self.cli = "ok"
        self.failed_tests = 0
        self.broken: list[dict] = []

    def snapshot(self) -> dict[str, dict]:
        how, rows = openclaw_sessions(self.config.getoption("--openclaw-agent"))
        self.cli = how
        return {r["key"]: r for r in rows}

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session):
        self.before = self.snapshot()

    def pytest_runtest_logreport(self, report):
        if report.when == "call" and report.outcome == "failed":
            self.failed_tests += 1

    def broke_during_run(self, after: dict[str, dict]) -> list[dict]:
        bad = set(BROKEN)
        if self.config.getoption("--openclaw-strict"):
            bad.add("killed")
        out = []
        for key, row in after.items():
            old = self.before.get(key, {})
            if row.get("status") in bad and row.get("endedAt") != old.get("endedAt"):
                out.append(row)
        return out

    def pytest_sessionfinish(self, session, exitstatus):
        after = self.snapshot()
        if self.cli != "ok":
            # "timeout", "failed" or "missing": say so, but don't fail the tests for it
            session.config.stash.setdefault(cli_key, self.cli)
            return
        self.broken = self.broke_during_run(after)
        if self.broken and exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter):
        tr = terminalreporter
        if self.cli == "timeout":
            tr.write_line("openclaw: `openclaw sessions --json` ran out of time; no session check", yellow=True)
        elif self.cli == "failed":
            tr.write_line("openclaw: `openclaw sessions --json` exited non-zero; no session check", red=True)
        for row in self.broken:
            tr.write_line(f"openclaw: session {row['key']} ended {row.get('status')} during the run", red=True)
        if self.broken and self.failed_tests == 0:
            tr.write_line("openclaw: every test passed, but an agent broke: marking the run failed", red=True)


cli_key = pytest.StashKey[str]()


def pytest_configure(config):
    config.pluginmanager.register(SessionWatch(config), "openclaw-session-watch")


@pytest.fixture
def openclaw_rows(request):
    """The session rows now, or a skip when the CLI is not usable."""
    how, rows = openclaw_sessions(request.config.getoption("--openclaw-agent"))
    if how != "ok":
        pytest.skip(f"openclaw sessions --json: {how}")
    return rows


def assert_session_ok(row: dict) -> None:
    """For tests: the session's last run ended well (or still runs)."""
    __tracebackhide__ = True
    status = row.get("status")
    assert status not in ("failed", "timeout", "killed"), f"{row['key']} last run ended {status}"


def assert_session_done(row: dict) -> None:
    __tracebackhide__ = True
    assert row.get("status") == "done", f"{row['key']} is {row.get('status')}, not done"
