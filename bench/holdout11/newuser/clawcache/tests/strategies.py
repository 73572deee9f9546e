"""Hypothesis strategies of gateway data for the cache's tests."""

from __future__ import annotations

from hypothesis import strategies as st

session_statuses = st.sampled_from(["queued", "running", "done", "failed", "killed", "timeout"])

keys = st.builds(
    lambda agent, name: f"agent:{agent}:{name}",
    st.sampled_from(["main", "work", "ops"]),
    st.from_regex(r"[a-z][a-z0-9-]{0,11}", fullmatch=True),
)

session_rows = st.fixed_dictionaries(
    {"key": keys, "sessionId": st.uuids().map(str)},
    optional={
        "status": session_statuses,
        "abortedLastRun": st.booleans(),
        "startedAt": st.integers(1_700_000_000_000, 1_900_000_000_000),
        "runtimeMs": st.integers(0, 3_600_000),
    },
)

rosters = st.lists(session_rows, max_size=30, unique_by=lambda r: r["key"])

changed_events = st.one_of(
    session_rows.map(lambda row: {"sessionKey": row["key"], "session": row, "reason": "updated"}),
    st.just({"reason": "invalidate"}),
    keys.map(lambda key: {"sessionKey": key, "reason": "deleted"}),
)

# agents_wait children: the run-level status of each completed child.
child_runs = st.fixed_dictionaries(
    {
        "runId": st.uuids().map(str),
        "status": st.sampled_from(["done", "failed", "killed", "timeout"]),
        "childSessionKey": keys,
    }
)
wait_results = st.fixed_dictionaries(
    {"completed": st.lists(child_runs, max_size=5, unique_by=lambda c: c["runId"]), "pending": st.just([])}
)
