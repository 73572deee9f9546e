"""FrameSession on its own, as a Python gateway would call it (no sockets)."""

from __future__ import annotations

import json

from gatewaylib import CAPABILITY, NEW_VERSION, OLD_VERSION, captured, dumps, fixture
from migrator.compat import FrameSession, Translator, UsageCounters
from migrator.compat.frames import MAX_PENDING
from migrator.manifest import load_manifest

T = Translator(load_manifest())


def connected(caps: list[str], version: str) -> FrameSession:
    session = FrameSession(T, counters=UsageCounters())
    connect = captured()[1]
    connect["params"]["caps"] = caps
    assert session.from_client(dumps(connect)) is None
    hello = captured()[2]
    hello["payload"]["server"]["version"] = version
    session.from_gateway(dumps(hello))
    return session


def test_a_response_is_rewritten_only_when_it_answers_a_tracked_request() -> None:
    session = connected([], NEW_VERSION)
    assert session.negotiation is not None and session.negotiation.client == "old"
    body = fixture("sessions.list.new.json")
    # same payload, but answering a request that was not sessions.list
    session.from_client(dumps({"type": "req", "id": "a", "method": "health", "params": {}}))
    assert session.from_gateway(dumps({"type": "res", "id": "a", "ok": True, "payload": body})) is None
    session.from_client(dumps({"type": "req", "id": "b", "method": "sessions.list", "params": {}}))
    out = session.from_gateway(dumps({"type": "res", "id": "b", "ok": True, "payload": body}))
    assert out is not None and json.loads(out)["payload"] == fixture("sessions.list.old.json")
    # an answer is matched once: a repeated id is not rewritten again
    assert session.from_gateway(dumps({"type": "res", "id": "b", "ok": True, "payload": body})) is None


def test_unanswered_requests_do_not_grow_the_table_without_end() -> None:
    session = connected([CAPABILITY], "2026.9.6")
    for i in range(MAX_PENDING + 50):
        session.from_client(dumps({"type": "req", "id": i, "method": "sessions.list", "params": {}}))
    assert len(session._pending) == MAX_PENDING
    # the newest ids are still answered in the client's vocabulary
    out = session.from_gateway(dumps({"type": "res", "id": MAX_PENDING + 49, "ok": True,
                                      "payload": fixture("sessions.list.old.json")}))
    assert out is not None and json.loads(out)["payload"] == fixture("sessions.list.new.json")


def test_tools_invoke_is_tracked_by_name_and_by_the_older_tool_key() -> None:
    session = connected([CAPABILITY], "2026.9.6")
    real = fixture("tools.invoke.sessions_list.old.json")  # {ok, toolName, source, output}
    session.from_client(dumps({"type": "req", "id": "n", "method": "tools.invoke",
                               "params": {"name": "sessions_list", "args": {}}}))
    out = session.from_gateway(dumps({"type": "res", "id": "n", "ok": True, "payload": real}))
    assert out is not None and json.loads(out)["payload"] == fixture("tools.invoke.sessions_list.new.json")
    # a gateway that takes {tool} and answers {ok, result} (the HTTP envelope)
    session.from_client(dumps({"type": "req", "id": "t", "method": "tools.invoke", "params": {"tool": "sessions_list"}}))
    out = session.from_gateway(dumps({"type": "res", "id": "t", "ok": True,
                                      "payload": {"ok": True, "result": fixture("sessions_list.tool.old.json")}}))
    assert out is not None and json.loads(out)["payload"]["result"] == fixture("sessions_list.tool.new.json")
    # another tool is not tracked at all
    session.from_client(dumps({"type": "req", "id": "s", "method": "tools.invoke", "params": {"name": "sessions_send"}}))
    assert "s" not in session._pending


def test_events_as_the_proxy_hands_them_over_are_decided_by_name() -> None:
    """As bytes, in OpenClaw's compact head, an event is decided by its name
    (remembered per negotiation), spelled plainly or with an escape."""
    changed = fixture("sessions.changed.old.json")
    frame = dumps({"type": "event", "event": "sessions.changed", "payload": changed, "seq": 1}).encode()
    escaped = frame.replace(b'"sessions.changed"', b'"sessions\\u002echanged"', 1)
    other = dumps({"type": "event", "event": "tick", "payload": {"status": "done"}}).encode()
    new = connected([CAPABILITY], "2026.9.6")
    for text in (frame, frame, escaped):
        out = new.from_gateway(text)
        assert out is not None and json.loads(out)["payload"] == fixture("sessions.changed.new.json")
    assert new.from_gateway(other) is None
    # An old client on an old gateway: passed untouched, each frame counted.
    old = connected([], "2026.9.6")
    assert old.counters is not None and old.client_id is not None and old.client_version is not None
    before = old.counters.get(old.client_id, old.client_version).frames
    assert [old.from_gateway(text) for text in (frame, frame, escaped, other)] == [None] * 4
    assert old.counters.get(old.client_id, old.client_version).frames == before + 3


def test_an_event_that_only_some_frames_are_a_surface_of_is_told_by_its_bytes() -> None:
    """`agent` events are a surface only when they carry the session snapshot
    (`requires = ["session"]`): the others pass as they came, unparsed, and
    a key spelled with escapes is still found."""
    session = connected([CAPABILITY], OLD_VERSION)
    run = b'{"type":"event","event":"agent","payload":{"runId":"r","status":"done","data":{"status":"failed"}}}'
    assert session.from_gateway(run) is None
    as_value = b'{"type":"event","event":"agent","payload":{"kind":"session","status":"done"}}'
    assert session.from_gateway(as_value) is None  # parsed: no snapshot, nothing to rename
    snapshot = b'{"type":"event","event":"agent","payload":{"status":"done","session":{"status":"killed"}}}'
    out = session.from_gateway(snapshot)
    assert out is not None and json.loads(out)["payload"] == {"status": "agent_responded", "session": {"status": "halted"}}
    escaped = b'{"type":"event","event":"agent","payload":{"status":"done","\\u0073ession":{"status":"timeout"}}}'
    out = session.from_gateway(escaped)
    assert out is not None
    assert json.loads(out)["payload"] == {"status": "agent_responded", "session": {"status": "waiting_for_response"}}


def test_a_frame_holding_no_name_to_rename_passes_as_it_came() -> None:
    """A `sessions.changed` frame whose statuses are all names the client's
    vocabulary keeps (`running`) passes untouched, and an old client's frame
    still counts; a name spelled with an escape is still found and renamed."""
    running = b'{"type":"event","event":"sessions.changed","payload":{"status":"running","session":{"status":"running"}}}'
    escaped = b'{"type":"event","event":"sessions.changed","payload":{"status":"d\\u006fne"}}'
    new = connected([CAPABILITY], OLD_VERSION)
    assert [new.from_gateway(running), new.from_gateway(running)] == [None, None]
    out = new.from_gateway(escaped)
    assert out is not None and json.loads(out)["payload"] == {"status": "agent_responded"}
    plain = running.replace(b'"running"}}', b'"failed"}}')
    out = new.from_gateway(plain)
    assert out is not None and json.loads(out)["payload"]["session"] == {"status": "interrupted"}
    # An old client of a new gateway: the new names are what it must not see.
    old = connected([], NEW_VERSION)
    assert old.counters is not None and old.client_id is not None and old.client_version is not None
    before = old.counters.get(old.client_id, old.client_version)
    assert old.from_gateway(running) is None
    after = old.counters.get(old.client_id, old.client_version)
    assert (after.frames, after.translated) == (before.frames + 1, before.translated)
    out = old.from_gateway(running.replace(b'"running"}}', b'"halted"}}'))
    assert out is not None and json.loads(out)["payload"]["session"] == {"status": "killed"}
