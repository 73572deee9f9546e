"""A surface's frame renamed in its bytes (Translator.splice): every byte but
the renamed values stays as the gateway wrote it, and whatever the bytes alone
cannot prove goes the long way, parsed and walked, with the same meaning."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from hypothesis import given, settings, strategies as st

from gatewaylib import CAPABILITY, NEW_VERSION, captured, dumps, fixture
from migrator.compat import FrameSession, Translator, UsageCounters
from migrator.manifest import load_manifest

T = Translator(load_manifest())
NEW = T._maps["new"]  # old -> new, what a session-status-v2 client gets


def connected(caps: list[str], version: str = "2026.9.6") -> FrameSession:
    session = FrameSession(T, counters=UsageCounters())
    connect = captured()[1]
    connect["params"]["caps"] = caps
    session.from_client(dumps(connect))
    hello = captured()[2]
    hello["payload"]["server"]["version"] = version
    session.from_gateway(dumps(hello))
    return session


def walked(frame: dict[str, Any]) -> dict[str, Any]:
    """What the long way makes of a sessions.list answer: its payload walked."""
    copy = json.loads(json.dumps(frame))
    T.serve("response", "sessions.list", copy["payload"], "new")
    return copy


def answer(rows: list[Any], rid: str = "r1", **extra: Any) -> dict[str, Any]:
    return {"type": "res", "id": rid, "ok": True, "payload": {"ts": 1.0, "sessions": rows, **extra}}


def only_values_differ(before: bytes, after: bytes) -> None:
    """``after`` is ``before`` but for the values of ``"status"`` pairs."""
    pair = re.compile(rb'("status" ?: ?")[a-z_]+"')
    assert pair.sub(rb"\1?", before) == pair.sub(rb"\1?", after)


def test_a_compact_answer_keeps_every_byte_but_the_row_statuses() -> None:
    rows = [{"sessionId": "a", "status": "done", "note": "é \"quoted\"\n", "n": 1.0},
            {"sessionId": "b", "status": "running"}, {"sessionId": "c", "status": "killed"}]
    raw = dumps(answer(rows)).encode()
    out, changed = T.splice("response", "sessions.list", "r1", raw, "new")  # type: ignore[misc]
    assert changed == 2
    assert out == raw.replace(b'"status":"done"', b'"status":"agent_responded"').replace(
        b'"status":"killed"', b'"status":"halted"')
    assert orjson.loads(out) == walked(answer(rows))


def test_default_spacing_and_floats_are_kept_as_written() -> None:
    raw = json.dumps(answer([{"status": "timeout", "t": 1.50}])).encode()  # ", " and ": "
    out, changed = T.splice("response", "sessions.list", "r1", raw, "new")  # type: ignore[misc]
    assert changed == 1 and out == raw.replace(b'"timeout"', b'"waiting_for_response"')
    assert b"1.5" in out and b'"status": "waiting_for_response"' in out


def test_what_the_bytes_cannot_prove_goes_the_long_way() -> None:
    cases = {
        # a decoy: a status of another record inside a row
        "decoy": dumps(answer([{"status": "done", "lastRun": {"status": "failed"}}])).encode(),
        # the key spelled with an escape
        "escaped key": dumps(answer([{"status": "done"}])).encode().replace(b'"status"', b'"\\u0073tatus"'),
        # a key that ends in an escaped quote and the word: not the field
        "escaped quote": dumps(answer([{'x"status': "done"}])).encode(),
        # an object where the surface has an array
        "object of rows": dumps(answer({"a": {"status": "done"}})).encode(),  # type: ignore[arg-type]
        # the field twice in one row
        "duplicate key": dumps(answer([{"status": "done"}])).encode().replace(
            b'"status":"done"', b'"status":"done","status":"killed"'),
        # another request's answer
        "other id": dumps(answer([{"status": "done"}], rid="r2")).encode(),
        # not JSON
        "broken": dumps(answer([{"status": "done"}])).encode()[:-1],
        # not UTF-8
        "bytes": dumps(answer([{"status": "done", "x": "é"}])).encode().replace("é".encode(), b"\xff"),
    }
    for name, raw in cases.items():
        assert T.splice("response", "sessions.list", "r1", raw, "new") is None, name
    # The escaped quote's key is not the field; the decoy stays where it is.
    session = connected([CAPABILITY])
    session.from_client(dumps({"type": "req", "id": "r1", "method": "sessions.list", "params": {}}))
    out = session.from_gateway(cases["decoy"])
    assert out is not None and orjson.loads(out)["payload"]["sessions"] == [
        {"status": "agent_responded", "lastRun": {"status": "failed"}}]


def test_an_answer_that_failed_or_carries_nothing_passes_untouched() -> None:
    failed = dumps({"type": "res", "id": "r1", "ok": False, "error": {"status": "failed"}}).encode()
    empty = dumps({"type": "res", "id": "r1", "ok": True, "payload": None}).encode()
    running = dumps(answer([{"status": "running"}, None])).encode()
    for raw in (failed, empty, running):
        assert T.splice("response", "sessions.list", "r1", raw, "new") == (None, 0)


def test_the_proxy_side_renames_in_place_and_counts_an_old_client() -> None:
    """Through FrameSession as the proxy feeds it (bytes): a new client gets
    the frame with its statuses renamed in place; an old client of a new
    gateway gets the old names back, and its frames are counted."""
    new = connected([CAPABILITY])
    new.from_client(dumps({"type": "req", "id": 7, "method": "sessions.list", "params": {}}))
    raw = json.dumps(answer([{"status": "failed", "sessionId": "s"}], rid=7)).encode()
    assert new.from_gateway(raw) == raw.replace(b'"failed"', b'"interrupted"')
    assert 7 not in new._pending
    old = connected([], NEW_VERSION)
    old.from_client(dumps({"type": "req", "id": "x", "method": "sessions.list", "params": {}}))
    body = fixture("sessions.list.new.json")
    out = old.from_gateway(dumps({"type": "res", "id": "x", "ok": True, "payload": body}).encode())
    assert out is not None and orjson.loads(out)["payload"] == fixture("sessions.list.old.json")
    assert old.counters is not None and "translated" in old.counters.report()
    event = dumps({"type": "event", "event": "sessions.changed",
                   "payload": fixture("sessions.changed.old.json"), "seq": 3}).encode()
    out = new.from_gateway(event)
    assert out is not None and orjson.loads(out)["payload"] == fixture("sessions.changed.new.json")


_TEXT = st.lists(st.sampled_from([*'ab"\\\n é{}:,', "status", '"status":"done"', "\x01"]), max_size=6).map("".join)
_STATUS = st.sampled_from(["done", "failed", "timeout", "killed", "running", "queued"])
_ROW = st.fixed_dictionaries(
    {"status": _STATUS},
    optional={"note": _TEXT, "lastRun": st.fixed_dictionaries({"status": _STATUS}), "n": st.floats(allow_nan=False),
              "k": _TEXT},
)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(_ROW, max_size=6), spaced=st.booleans(), extra=st.dictionaries(_TEXT, _TEXT, max_size=3))
def test_spliced_or_not_the_meaning_is_the_walked_one(rows: list[Any], spaced: bool, extra: dict[str, str]) -> None:
    frame = answer(rows)
    frame["payload"]["extra"] = extra
    raw = (json.dumps(frame, ensure_ascii=False) if spaced else dumps(frame)).encode()
    result = T.splice("response", "sessions.list", "r1", raw, "new")
    if result is None:
        return  # the long way: FrameSession parses it
    out, changed = result
    assert orjson.loads(out if out is not None else raw) == walked(frame)
    assert changed == sum(1 for r in rows if r["status"] in NEW)
    if out is not None:
        only_values_differ(raw, out)


def test_a_surface_that_keeps_failing_its_bytes_is_parsed_then_tried_again() -> None:
    """sessions.changed as 2026.9.6 sends it holds other statuses (`acp`,
    `lastRun.outcome`) beside the session's: its bytes cannot prove which is
    which, so it goes the long way. After a few such frames in a row the bytes
    are not tried for a while; every frame still gets the same meaning, and a
    frame the bytes can rename is renamed in them again soon after."""
    session = connected([CAPABILITY])
    decoyed = {"type": "event", "event": "sessions.changed", "payload": fixture("sessions.changed.old.json")}
    want = json.loads(json.dumps(decoyed))
    want["payload"] = fixture("sessions.changed.new.json")
    for seq in range(40):
        out = session.from_gateway(dumps({**decoyed, "seq": seq}).encode())
        assert isinstance(out, bytes) and orjson.loads(out) == {**want, "seq": seq}
    # One the bytes can prove, spelled with spaces only a splice keeps.
    clean = b'{"type":"event","event":"sessions.changed","payload":{"sessionKey":"k",  "status": "done"},"seq":1}'
    kept = [session.from_gateway(clean) for _ in range(40)]
    renamed = clean.replace(b'"status": "done"', b'"status": "agent_responded"')
    assert all(orjson.loads(out) == orjson.loads(renamed) for out in kept if isinstance(out, bytes))
    assert kept[-1] == renamed  # in its bytes again, spaces and all
