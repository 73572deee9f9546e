import asyncio

import pytest

from clawflow.collect import split_results
from clawflow.retry import RetryPolicy, transport_backoff
from clawflow.runner import Runner


class FakeGateway:
    def __init__(self, rows):
        self.rows = rows
        self.sent = []

    async def list_sessions(self, limit=200):
        return self.rows

    async def call(self, method, params=None):
        self.sent.append((method, params))
        return {"status": "started", "runStarted": True}


def row(key, status):
    return {"key": key, "status": status, "abortedLastRun": status == "killed"}


@pytest.fixture
def policy():
    return RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0)


@pytest.mark.parametrize("status", ["failed", "timeout"])
def test_retries_a_bad_ending(policy, status):
    assert policy.should_retry("agent:main:main", status)


@pytest.mark.parametrize("status", ["done", "killed", "running", None])
def test_leaves_other_endings(policy, status):
    assert not policy.should_retry("agent:main:main", status)


def test_gives_up_after_max_attempts(policy):
    policy.record("k")
    policy.record("k")
    assert not policy.should_retry("k", "failed")


def test_rerun_sends_a_nudge(policy):
    gw = FakeGateway([])
    runner = Runner(gw, policy)
    runner.last_status["agent:main:subagent:7"] = "running"
    asyncio.run(runner.handle(row("agent:main:subagent:7", "timeout")))
    assert gw.sent and gw.sent[0][0] == "sessions.send"
    assert runner.last_status["agent:main:subagent:7"] == "timeout"


def test_killed_session_is_not_rerun(policy):
    gw = FakeGateway([])
    runner = Runner(gw, policy)
    asyncio.run(runner.handle(row("agent:main:main", "killed")))
    assert gw.sent == []


def test_keyless_change_reads_the_roster(policy):
    gw = FakeGateway([row("a", "done"), row("b", "failed")])
    runner = Runner(gw, policy)
    asyncio.run(runner.on_changed({"reason": "reload"}))
    statuses = [runner.queue.get_nowait()["status"] for _ in range(2)]
    assert statuses == ["done", "failed"]


def test_split_results_of_agents_wait():
    waited = {
        "completed": [
            {"runId": "r1", "status": "done", "result": "ok", "sessionKey": "s1"},
            {"runId": "r2", "status": "timeout", "result": "", "sessionKey": "s2"},
            {"runId": "r3", "status": "failed", "result": "", "error": "model error", "sessionKey": "s3"},
        ],
        "pending": [],
    }
    good, bad = split_results(waited)
    assert good == ["ok"]
    assert [c["runId"] for c in bad] == ["r2", "r3"]


def test_transport_timeout_backs_off():
    assert transport_backoff("timeout", 3) == 6.0
    assert transport_backoff("forbidden", 1) is None
