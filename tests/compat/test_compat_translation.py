"""Payloads walked between vocabularies: only the surfaces the manifest names."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gatewaylib import fixture
from migrator.compat import OldNameRefused, Translator, negotiate
from migrator.compat.translation import tool_name, tool_result
from migrator.manifest import load_manifest

M = load_manifest()
T = Translator(M)
V = M.vocabulary


@pytest.mark.parametrize(
    ("kind", "name", "stem"),
    [
        ("response", "sessions.list", "sessions.list"),
        ("event", "sessions.changed", "sessions.changed"),
        ("tool", "sessions_list", "sessions_list.tool"),
        # captured from a real 2026.9.6 gateway
        ("response", "sessions.subscribe", "sessions.subscribe"),
        ("event", "sessions.changed", "sessions.changed.patch"),
    ],
)
@pytest.mark.parametrize(("source", "target"), [("old", "new"), ("new", "old")])
def test_surface_walks_to_the_other_fixture_exactly(kind: str, name: str, stem: str, source: str, target: str) -> None:
    payload = fixture(f"{stem}.{source}.json")
    changed = T.serve(kind, name, payload, target)  # type: ignore[arg-type]
    assert payload == fixture(f"{stem}.{target}.json")
    assert changed > 0
    # walking again, or walking a payload already in the target, changes nothing
    assert T.serve(kind, name, payload, target) == 0  # type: ignore[arg-type]


def test_tool_text_is_rewritten_in_the_gateway_s_own_rendering() -> None:
    result = fixture("sessions_list.tool.old.json")
    T.serve("tool", "sessions_list", result, "new")
    assert result["content"][0]["text"] == fixture("sessions_list.tool.new.json")["content"][0]["text"]


def test_other_statuses_in_the_same_payload_stay() -> None:
    rows = fixture("sessions.list.old.json")
    T.serve("response", "sessions.list", rows, "new")
    main = rows["sessions"][0]
    assert main["placement"]["status"] == "done"
    assert main["acp"] == {"state": "error", "status": "failed", "backend": "acpx"}
    event = fixture("sessions.changed.old.json")
    T.serve("event", "sessions.changed", event, "new")
    assert event["session"]["acp"]["status"] == "failed"
    assert event["lastRun"]["outcome"]["status"] == "timeout"


def test_a_row_without_status_and_unknown_values_are_left_alone() -> None:
    doc = {"sessions": [{"key": "a"}, {"key": "b", "status": "paused"}, {"key": "c", "status": None}]}
    before = copy.deepcopy(doc)
    assert T.serve("response", "sessions.list", doc, "new") == 0
    assert doc == before


def test_surfaces_the_manifest_does_not_name_are_untouched() -> None:
    send = fixture("sessions_send.tool.json")
    assert not T.has_surface("tool", "sessions_send")
    assert T.serve("tool", "sessions_send", send, "new") == 0
    assert send == fixture("sessions_send.tool.json")


def test_prose_in_tool_content_is_not_parsed() -> None:
    result = {"content": [{"type": "text", "text": 'status: "failed"'}], "details": {"sessions": []}}
    assert T.serve("tool", "sessions_list", result, "new") == 0


def test_compact_tool_text_stays_compact() -> None:
    text = json.dumps({"sessions": [{"status": "done"}]}, separators=(",", ":"))
    result = {"content": [{"type": "text", "text": text}]}
    T.serve("tool", "sessions_list", result, "new")
    assert result["content"][0]["text"] == '{"sessions":[{"status":"agent_responded"}]}'


def test_tool_result_is_found_inside_the_http_envelope() -> None:
    inner = fixture("sessions_list.tool.old.json")
    assert tool_result({"ok": True, "result": inner}) is inner
    assert tool_result(inner) is inner
    assert tool_result({"ok": False, "error": {}}) is None


@pytest.mark.parametrize(("source", "target"), [("old", "new"), ("new", "old")])
def test_the_real_tools_invoke_payload_is_walked_in_output_only(source: str, target: str) -> None:
    """WebSocket tools.invoke answers {ok, toolName, source, output: {content, details}}."""
    payload = fixture(f"tools.invoke.sessions_list.{source}.json")
    result = tool_result(payload)
    assert result is payload["output"]
    assert T.serve("tool", "sessions_list", result, target) == 8 + 8  # details rows, and the same in the text
    assert payload == fixture(f"tools.invoke.sessions_list.{target}.json")
    assert {k: v for k, v in payload.items() if k != "output"} == {"ok": True, "toolName": "sessions_list", "source": "core"}
    assert tool_result({"ok": False, "toolName": "sessions_list", "error": {"code": "not_found", "message": "x"}}) is None


def test_the_tool_is_named_as_openclaw_reads_it() -> None:
    assert tool_name({"name": "sessions_list", "args": {}}) == "sessions_list"  # WebSocket, and HTTP
    assert tool_name({"tool": "sessions_list"}) == "sessions_list"  # HTTP's older spelling
    assert tool_name({"name": "sessions_list", "tool": "sessions_send"}) == "sessions_list"  # name wins
    assert tool_name({"name": "  ", "tool": "sessions_list"}) == "sessions_list"  # blank is absent
    assert tool_name({"name": 3}) is None
    assert tool_name(["sessions_list"]) is None


def test_ancestor_rows_are_walked_and_nothing_else_in_the_real_event() -> None:
    event = fixture("sessions.changed.patch.old.json")
    assert len(event) == 71 and event["reason"] == "patch"
    T.serve("event", "sessions.changed", event, "new")
    assert (event["status"], event["session"]["status"]) == ("halted", "halted")
    assert [a["status"] for a in event["ancestorSessions"]] == ["interrupted"]
    # child sessions are keys, not rows; the other *Status fields are other vocabularies
    assert event["ancestorSessions"][0]["childSessions"] == ["agent:main:subagent:9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"]
    before = fixture("sessions.changed.patch.old.json")
    for key in ("status", "session", "ancestorSessions"):
        del event[key], before[key]
    assert event == before


def test_session_message_events_carry_the_session_snapshot_too() -> None:
    event = fixture("session.message.json")
    assert event["status"] == event["session"]["status"] == "running"  # unchanged value: untouched
    event["status"] = event["session"]["status"] = "failed"
    event["ancestorSessions"] = [{"key": "agent:main:main", "status": "done"}]
    event["message"]["status"] = "failed"  # the transcript record is not a session
    assert T.serve("event", "session.message", event, "new") == 3
    assert (event["status"], event["session"]["status"]) == ("interrupted", "interrupted")
    assert event["ancestorSessions"][0]["status"] == "agent_responded"
    assert event["message"]["status"] == "failed"


def test_inputs_are_walked_to_the_gateway_s_vocabulary() -> None:
    window = negotiate(M, gateway_version="2027.1.0", caps=[])
    doc = {"filter": {"status": "done"}, "other": {"status": "done"}}
    assert T.accept(doc, ["/filter/status"], window) == 1
    assert doc == {"filter": {"status": "agent_responded"}, "other": {"status": "done"}}
    old_gateway = negotiate(M, gateway_version="2026.9.6", caps=[M.capability])
    assert T.accept_value("halted", old_gateway) == "killed"


def test_old_names_in_inputs_are_refused_after_sunset_naming_the_new_value() -> None:
    closed = negotiate(M, gateway_version="2027.4.0", caps=[])
    doc = {"filter": {"status": "timeout"}}
    with pytest.raises(OldNameRefused) as info:
        T.accept(doc, ["/filter/status"], closed)
    assert info.value.new == "waiting_for_response"
    assert "'waiting_for_response'" in str(info.value) and "/filter/status" in str(info.value)
    assert doc == {"filter": {"status": "timeout"}}  # nothing half-changed
    with pytest.raises(OldNameRefused, match="'halted'"):
        T.accept_value("killed", closed)
    assert T.accept_value("halted", closed) == "halted"


statuses = st.sampled_from(sorted(V.all_values) + ["paused", ""])


@given(st.lists(st.one_of(st.none(), statuses), max_size=12))
def test_old_new_old_is_the_identity(values: list[str | None]) -> None:
    rows = [{"key": str(i)} if v is None else {"key": str(i), "status": v} for i, v in enumerate(values)]
    doc = {"sessions": rows}
    start = copy.deepcopy(doc)
    T.serve("response", "sessions.list", doc, "old")
    old = copy.deepcopy(doc)
    T.serve("response", "sessions.list", doc, "new")
    T.serve("response", "sessions.list", doc, "old")
    assert doc == old
    # every value is in the target vocabulary or was never a vocabulary value
    assert all(r.get("status") not in V.new for r in old["sessions"])
    assert [r.get("status") in V.all_values for r in start["sessions"]] == [
        r.get("status") in V.all_values for r in old["sessions"]
    ]


# -- the compiled walk of frames agrees with the pointer patterns ------------

_keys = st.sampled_from(["status", "session", "sessions", "0", "1", "x"])
_docs = st.recursive(
    st.sampled_from(sorted(V.all_values) + ["paused"]) | st.integers(0, 3) | st.none(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=14,
)
_patterns = st.lists(
    st.lists(st.sampled_from(["status", "session", "sessions", "0", "1", "x", "*"]), min_size=0, max_size=3)
    .map(lambda segments: "".join("/" + s for s in segments)),
    min_size=1, max_size=4,
)


@given(_docs, _patterns)
@example({"x": "done", "status": "failed", "session": {"status": "timeout"}}, ["/*", "/status", "/session/status"])
@example({"sessions": [{"status": "done"}, "killed"], "0": "killed"}, ["/sessions/*/status", "/0", "/*/1", "/sessions/1"])
@settings(max_examples=300)
def test_the_compiled_walk_renames_what_the_patterns_name_and_nothing_else(doc: object, texts: list[str]) -> None:
    """Overlapping patterns (a key and `*` beside it, `/0` of a list and of an
    object alike) rename each value once; the reference is the RFC 6902 patch
    the same patterns compile to."""
    import jsonpatch

    from migrator.pointers import PointerPattern, Rewriter, compile_patch

    patterns = [PointerPattern.parse(t) for t in texts]
    ops = compile_patch(doc, patterns, V.old_to_new)
    want = jsonpatch.apply_patch(doc, ops)
    got = copy.deepcopy(doc)
    changed = Rewriter(patterns)(got, V.old_to_new)
    if isinstance(doc, (dict, list)):  # a bare value is no place to rename in place
        assert got == want
        assert changed == len(ops) // 2
    else:
        assert changed == 0
