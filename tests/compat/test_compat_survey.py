"""The gateway survey against the frames of a real 2026.9.6 gateway.

fixtures/gateway/captured-2026.9.6-survey.jsonl holds every frame of a sweep
over every method its hello-ok lists, the session methods called with real
params, and every agent tool of its tools.catalog (``python
bench/real_gateway.py --capture``). These tests replay them through the
translation and the audit, as a v2 client on that gateway would get them.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from gatewaylib import CAPABILITY, FIXTURES
from migrator.compat import Audit, FrameSession, Translator
from migrator.compat.frames import DROP
from migrator.compat.translation import tool_name, tool_result
from migrator.manifest import GatewaySurface, Manifest, load_manifest
from migrator.pointers import PointerPattern

M = load_manifest()
T = Translator(M)
SURVEY = FIXTURES / "captured-2026.9.6-survey.jsonl"


def survey_frames(path: Path = SURVEY) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def served() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every frame a real 2026.9.6 gateway sent in the captures, as ``(kind,
    name, frame)``: responses by the method (or tool) they answer, events by name."""
    for path in sorted(FIXTURES.glob("captured-2026.9.6*.jsonl")):
        yield from _served(survey_frames(path))


def _served(frames: list[dict[str, Any]]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    asked: dict[Any, tuple[str, str]] = {}
    for item in frames:
        frame = item["frame"]
        if item["dir"] == "client->gw":
            method = frame["method"]
            tool = tool_name(frame["params"]) if method == "tools.invoke" else None
            asked[frame["id"]] = ("tool", tool) if tool else ("response", method)
        elif frame["type"] == "res" and frame["id"] in asked:
            yield (*asked[frame["id"]], frame)
        elif frame["type"] == "event":
            yield "event", frame["event"], frame


def payload_of(kind: str, frame: dict[str, Any]) -> Any:
    return tool_result(frame.get("payload")) if kind == "tool" else frame.get("payload")


def hello() -> dict[str, Any]:
    return next(f for k, n, f in served() if n == "connect")["payload"]


def test_every_method_event_and_tool_of_the_real_gateway_is_surveyed() -> None:
    survey = M.gateway_survey
    named = {(s.kind, s.name) for s in M.gateway}
    features = hello()["features"]
    catalog = next(f for k, n, f in served() if n == "tools.catalog")["payload"]
    tools = [t["id"] for group in catalog["groups"] for t in group["tools"]]
    assert len(features["methods"]) == 466 and len(features["events"]) == 64 and len(tools) == 66
    unsurveyed = [("response", m) for m in features["methods"] if m not in survey.methods and ("response", m) not in named]
    unsurveyed += [("event", e) for e in features["events"] if e not in survey.events and ("event", e) not in named]
    unsurveyed += [("tool", t) for t in tools if t not in survey.tools and ("tool", t) not in named]
    assert unsurveyed == []
    assert survey.version == hello()["server"]["version"] == "2026.9.6"


def test_a_name_never_surveyed_is_told_from_one_surveyed_without_status() -> None:
    assert "sessions.preview" in M.gateway_survey.methods  # surveyed, carries none
    assert not T.has_surface("response", "sessions.preview")
    assert "sessions.get" not in M.gateway_survey.methods  # not served by 2026.9.6
    assert not T.has_surface("response", "sessions.get")


def test_no_captured_frame_holds_a_session_status_that_no_surface_names() -> None:
    rows = 0
    for kind, name, frame in served():
        payload = copy.deepcopy(payload_of(kind, frame))
        rows += len(T.leaks(payload, "new"))  # rows with old names before translation
        T.serve(kind, name, payload, "new")
        assert T.leaks(payload, "new") == [], (kind, name)
    # the check is not empty: the sweep saw many session rows with old names
    assert rows > 50


def statuses_at(kind: str, name: str) -> list[str]:
    """Every string the surface's pointers find in the captured frames."""
    surface = next(s for s in M.gateway if (s.kind, s.name) == (kind, name))
    patterns = [PointerPattern.parse(p) for p in surface.pointers]
    found = []
    for k, n, frame in served():
        if (k, n) == (kind, name) and frame.get("ok", True):
            payload = payload_of(k, frame)
            found += [v for pattern in patterns for _, v in pattern.matches(payload) if isinstance(v, str)]
    return found


CAPTURED = sorted({(s.kind, s.name) for s in M.gateway if s.evidence == "captured"})
# 2026.9.6's own names: the rename's and `queued`, a session status it leaves alone
SESSION_STATUSES = M.vocabulary.old | frozenset(M.vocabulary.unchanged) | {"queued"}


@pytest.mark.parametrize("surface", CAPTURED)
def test_every_surface_of_captured_evidence_points_at_session_statuses_in_the_frames(surface: tuple[str, str]) -> None:
    found = statuses_at(*surface)
    assert found and set(found) <= SESSION_STATUSES, found


# The surfaces whose captured frames hold a renamed value (session.message only
# ever showed `running` on a gateway without a model).
RENAMED_IN_CAPTURES = [s for s in CAPTURED if set(statuses_at(*s)) & M.vocabulary.old]


def test_most_captured_surfaces_show_renamed_values() -> None:
    assert len(RENAMED_IN_CAPTURES) >= len(CAPTURED) - 1


def leaves(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from leaves(value, f"{path}/{i}")
    else:
        yield path, node


@pytest.mark.parametrize("direction", ["back", "forward"])
def test_captured_frames_replay_both_ways_and_only_session_statuses_change(direction: str) -> None:
    """Back: old names (2026.9.6's own) to new and back again, as for a v2 client.
    Forward: the same frames in new names, as a new gateway would send them,
    walked back to old names for an old client."""
    for kind, name, frame in served():
        original = payload_of(kind, frame)
        if original is None:
            continue
        start = copy.deepcopy(original)
        if direction == "forward":
            T.serve(kind, name, start, "new")
        first = copy.deepcopy(start)
        T.serve(kind, name, first, "old" if direction == "forward" else "new")
        renamed = {p for p, _ in T.leaks(start, "old" if direction == "forward" else "new")}
        for (pointer, before), (_, after) in zip(leaves(start), leaves(first)):
            if before != after:
                assert pointer in renamed or _in_text(pointer), (kind, name, pointer, before, after)
        back = copy.deepcopy(first)
        T.serve(kind, name, back, "new" if direction == "forward" else "old")
        assert back == start, (kind, name)


def _in_text(pointer: str) -> bool:
    # a tool result's JSON text part is one leaf: its rows are inside the string
    return pointer.endswith("/text")


def test_other_vocabularies_in_the_same_frames_stay() -> None:
    kept = {"sessions.preview": "/previews/0/status", "tasks.list": "/tasks/0/status",
            "agent.wait": "/status", "sessions.abort": "/status", "sessions.send": "/status"}
    found = {}
    for kind, name, frame in served():
        if name in kept and frame.get("ok"):
            payload = copy.deepcopy(frame["payload"])
            before = dict(leaves(payload))[kept[name]]
            for vocabulary in ("new", "old"):
                T.serve(kind, name, payload, vocabulary)  # type: ignore[arg-type]
            found[name] = (before, dict(leaves(payload))[kept[name]])
    assert found == {
        "sessions.preview": ("ok", "ok"), "tasks.list": ("failed", "failed"), "agent.wait": ("timeout", "timeout"),
        "sessions.abort": ("no-active-run", "no-active-run"), "sessions.send": ("started", "started"),
    }
    for kind, name, frame in served():
        if kind == "event" and name == "task":
            payload = copy.deepcopy(frame["payload"])
            assert T.serve(kind, name, payload, "new") == 0 and payload == frame["payload"]
            assert T.leaks(payload, "new") == []  # a task record is not a session row


def replay(manifest: Manifest, caps: list[str]) -> Audit:
    """Every captured frame through one FrameSession per capture, with the audit on."""
    audit = Audit()
    for path in sorted(FIXTURES.glob("captured-2026.9.6*.jsonl")):
        _replay(manifest, caps, survey_frames(path), audit)
    return audit


def _replay(manifest: Manifest, caps: list[str], frames: list[dict[str, Any]], audit: Audit) -> None:
    session = FrameSession(Translator(manifest), audit=audit)
    if not any(item["frame"].get("method") == "connect" for item in frames):
        frames = survey_frames()[:3] + frames  # a capture that starts after hello-ok
    for item in frames:
        frame = copy.deepcopy(item["frame"])
        if item["dir"] == "client->gw":
            if frame["method"] == "connect":
                frame["params"]["caps"] = caps
            assert session.from_client(json.dumps(frame)) in (None,)
        else:
            session.from_gateway(json.dumps(frame))


def test_the_audit_counts_nothing_on_the_real_gateway_frames() -> None:
    assert replay(M, [CAPABILITY]).total == 0
    assert replay(M, []).total == 0


@pytest.mark.parametrize("removed", RENAMED_IN_CAPTURES)
def test_removing_one_surface_makes_the_audit_count_it(removed: tuple[str, str]) -> None:
    fewer = dataclasses.replace(M, gateway=tuple(s for s in M.gateway if (s.kind, s.name) != removed))
    audit = replay(fewer, [CAPABILITY])
    counts = audit.counts()
    assert counts.get(removed, 0) > 0 and set(counts) == {removed}
    kind, name, pointer, value, vocabulary = audit.samples[0]
    assert (kind, name) == removed and value in M.vocabulary.old and vocabulary == "new"
    assert PointerPattern.parse(pointer.replace("/0/", "/*/")) is not None
    assert f"{kind} {name}: {counts[removed]}" in audit.report()


def with_request_surface() -> Manifest:
    """2026.9.6 has no request that carries a session status; a later gateway's
    filter would be declared like this one."""
    extra = GatewaySurface(kind="request", name="sessions.list", pointers=("/statuses/*",))
    return dataclasses.replace(M, gateway=(*M.gateway, extra))


def connected(manifest: Manifest, caps: list[str], version: str) -> FrameSession:
    session = FrameSession(Translator(manifest))
    frames = survey_frames()
    challenge, connect, hello_ok = (copy.deepcopy(f["frame"]) for f in frames[:3])
    connect["params"]["caps"] = caps
    hello_ok["payload"]["server"]["version"] = version
    session.from_gateway(json.dumps(challenge))
    session.from_client(json.dumps(connect))
    session.from_gateway(json.dumps(hello_ok))
    return session


def test_a_request_carrying_statuses_is_walked_to_the_gateways_names() -> None:
    request = {"type": "req", "id": "r", "method": "sessions.list", "params": {"statuses": ["agent_responded", "running"]}}
    old_gateway = connected(with_request_surface(), [CAPABILITY], "2026.9.6")
    out = old_gateway.from_client(json.dumps(request))
    assert isinstance(out, bytes) and json.loads(out)["params"]["statuses"] == ["done", "running"]
    new_gateway = connected(with_request_surface(), [], "2027.1.0")
    request["params"] = {"statuses": ["done", "timeout"]}
    out = new_gateway.from_client(json.dumps(request))
    assert isinstance(out, bytes) and json.loads(out)["params"]["statuses"] == ["agent_responded", "waiting_for_response"]
    # a client already speaking the gateway's names: forwarded as sent
    assert connected(with_request_surface(), [], "2026.9.6").from_client(json.dumps(request)) is None


def test_an_old_name_in_a_request_after_sunset_is_answered_here_not_forwarded() -> None:
    session = connected(with_request_surface(), [], "2027.4.0")
    text = json.dumps({"type": "req", "id": 7, "method": "sessions.list", "params": {"statuses": ["killed"]}})
    assert session.from_client(text) == DROP
    assert session.answer is not None
    answer = json.loads(session.answer)
    assert answer["id"] == 7 and answer["ok"] is False
    assert "'killed'" in answer["error"]["message"] and "'halted'" in answer["error"]["message"]
