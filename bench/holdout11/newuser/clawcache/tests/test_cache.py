"""Property tests of the session cache."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from clawcache import ENDED, SessionCache
from clawcache.cache import ATTENTION
from strategies import changed_events, keys, rosters, session_rows, wait_results


@given(rosters)
def test_every_ended_row_has_an_ended_status(roster):
    cache = SessionCache()
    cache.load(roster)
    assert all(cache.get(k)["status"] in ENDED for k in cache.ended())
    assert set(cache.ended()).isdisjoint(cache.running())


@given(rosters)
def test_attention_leaves_out_user_stops(roster):
    cache = SessionCache()
    cache.load(roster)
    for key in cache.needs_attention():
        row = cache.get(key)
        assert row["status"] in ATTENTION
        assert not row.get("abortedLastRun")


@pytest.mark.parametrize("status", ["failed", "timeout"])
def test_a_bad_ending_needs_attention(status):
    cache = SessionCache()
    cache.load([{"key": "agent:main:main", "status": status}])
    assert cache.needs_attention() == ["agent:main:main"]


def test_a_user_stop_does_not_need_attention():
    cache = SessionCache()
    cache.load([{"key": "agent:main:main", "status": "killed", "abortedLastRun": True}])
    assert cache.needs_attention() == []
    assert cache.ended() == ["agent:main:main"]


def test_mark_stopped_only_touches_running_rows():
    cache = SessionCache()
    cache.load([{"key": "a", "status": "running"}, {"key": "b", "status": "done"}])
    cache.mark_stopped("a")
    cache.mark_stopped("b")
    assert cache.get("a")["status"] == "killed"
    assert cache.get("b")["status"] == "done"


@given(wait_results)
def test_record_wait_reports_children_that_did_not_finish_well(result):
    cache = SessionCache()
    bad = cache.record_wait(result)
    assert sorted(bad) == sorted(c["runId"] for c in result["completed"] if c["status"] != "done")


class CacheMachine(RuleBasedStateMachine):
    """The cache against a plain dict model of the same events."""

    def __init__(self) -> None:
        super().__init__()
        self.cache = SessionCache()
        self.model: dict[str, dict] = {}

    @rule(roster=rosters)
    def load(self, roster):
        self.cache.load(roster)
        self.model = {r["key"]: dict(r) for r in roster}

    @rule(event=changed_events)
    def event(self, event):
        self.cache.apply_event(event)
        key = event.get("sessionKey")
        if key and "session" in event:
            self.model[key] = dict(event["session"])
        elif key:
            self.model.pop(key, None)

    @rule(key=keys)
    def stop(self, key):
        self.cache.mark_stopped(key)
        row = self.model.get(key)
        if row is not None and row.get("status") == "running":
            row.update(status="killed", abortedLastRun=True)

    @invariant()
    def same_rows(self):
        assert self.cache.rows == self.model

    @invariant()
    def sync_state_is_known(self):
        assert self.cache.sync in ("idle", "stale", "syncing", "done", "failed")


TestCacheMachine = CacheMachine.TestCase


@given(st.lists(session_rows, max_size=10, unique_by=lambda r: r["key"]))
def test_prune_keeps_unended_rows(roster):
    cache = SessionCache()
    cache.load(roster)
    kept = set(cache.rows) - set(cache.ended())
    cache.prune(older_than=-1)
    assert set(cache.rows) == kept
