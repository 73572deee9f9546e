"""The proxy over real loopback sockets, in front of the test gateway."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import struct
from typing import Any, AsyncIterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gatewaylib import (
    CAPABILITY,
    NEW_VERSION,
    OLD_VERSION,
    TIMEOUT,
    Client,
    TestGateway,
    captured,
    captured_more,
    fixture,
    run_async,
    running_proxy,
)
from migrator.compat import Mode, Policy, UsageCounters
from migrator.manifest import parse_version


def url(proxy: Any) -> str:
    return f"ws://127.0.0.1:{proxy.port}"


def expected(gateway_frame: str, payload: Any) -> dict[str, Any]:
    """The gateway's frame with only its payload replaced."""
    frame = json.loads(gateway_frame)
    frame["payload"] = payload
    return frame


async def eventually(check: Any, what: str) -> None:
    for _ in range(int(TIMEOUT / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


# -- both directions of translation -----------------------------------------


@run_async
async def test_old_gateway_serves_new_names_to_a_client_that_asks() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy), caps=[CAPABILITY]) as client:
            res = await client.request("sessions.list")
            # exactly the gateway's frame, with the new-name rows of the fixture
            assert res == expected(gw.sent[-1], fixture("sessions.list.new.json"))
            assert [r.get("status") for r in res["payload"]["sessions"]] == [
                "interrupted", "interrupted", "waiting_for_response", "interrupted",
                "halted", "interrupted", "agent_responded", "agent_responded", None,
            ]
            # statuses of other vocabularies in the same rows stay
            main = res["payload"]["sessions"][0]
            assert main["placement"]["status"] == "done"
            assert main["acp"]["status"] == "failed"
            # hello-ok says which vocabulary this connection speaks, version untouched
            assert client.hello is not None and client.hello["server"]["version"] == OLD_VERSION
            hello = json.loads(gw.sent[1])["payload"]
            hello["features"]["capabilities"].append(CAPABILITY)
            assert client.hello == hello


@run_async
async def test_new_gateway_serves_old_names_to_a_client_that_does_not_ask() -> None:
    async with TestGateway(NEW_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy)) as client:
            res = await client.request("sessions.list")
            assert res == expected(gw.sent[-1], fixture("sessions.list.old.json"))


@pytest.mark.parametrize(("version", "caps"), [(OLD_VERSION, []), (NEW_VERSION, [CAPABILITY])])
@run_async
async def test_a_client_already_on_the_gateway_s_names_gets_its_bytes_untouched(version: str, caps: list[str]) -> None:
    async with TestGateway(version) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy), caps=caps) as client:
            assert client.hello == json.loads(gw.sent[1])["payload"]
            rid = client.next_id()
            await client.send({"type": "req", "id": rid, "method": "sessions.list", "params": {}})
            text = await client.recv_text()
            assert text == gw.sent[-1]


@run_async
async def test_sessions_changed_events_reach_each_client_in_its_vocabulary() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy), caps=[CAPABILITY]) as new, Client(url(proxy)) as old:
            await eventually(lambda: len(gw.connections) == 2, "two upstream connections")
            sent = await gw.broadcast("sessions.changed", gw.sessions_changed())
            assert await new.recv() == expected(sent, fixture("sessions.changed.new.json"))
            assert await old.recv_text() == sent
            # another event with a `status` is not a session-status surface
            other = await gw.broadcast("agent", {"runId": "r1", "status": "done"})
            assert await new.recv_text() == other


@run_async
async def test_sessions_list_tool_results_are_translated_in_details_and_text() -> None:
    async with TestGateway(NEW_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy)) as client:
            res = await client.request("tools.invoke", {"name": "sessions_list", "args": {}})
            assert res == expected(gw.sent[-1], fixture("tools.invoke.sessions_list.old.json"))
            # the text part is the gateway's pretty JSON, re-rendered the same way
            text = res["payload"]["output"]["content"][0]["text"]
            assert text == fixture("tools.invoke.sessions_list.old.json")["output"]["content"][0]["text"]


@run_async
async def test_sessions_send_result_status_is_another_vocabulary_and_stays() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy), caps=[CAPABILITY]) as client:
            rid = client.next_id()
            await client.send({"type": "req", "id": rid, "method": "tools.invoke", "params": {"name": "sessions_send"}})
            text = await client.recv_text()
            assert text == gw.sent[-1]
            assert json.loads(text)["payload"]["output"]["details"]["status"] == "timeout"


# -- the real 2026.9.6 shapes: ancestor rows, sessions.subscribe, tools.invoke {name, args} --


@run_async
async def test_ancestor_sessions_of_a_real_sessions_changed_reach_an_opted_in_client_renamed() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy), caps=[CAPABILITY]) as new, Client(url(proxy)) as old:
            await eventually(lambda: len(gw.connections) == 2, "two upstream connections")
            sent = await gw.broadcast("sessions.changed", gw.sessions_changed_patch())
            got = await new.recv()
            # exactly the gateway's frame with the new-name fixture: status, session.status
            # and ancestorSessions[*].status renamed, the other 68 fields as sent
            assert got == expected(sent, fixture("sessions.changed.patch.new.json"))
            assert [a["status"] for a in got["payload"]["ancestorSessions"]] == ["interrupted"]
            assert await old.recv_text() == sent


@run_async
async def test_a_new_gateway_s_ancestor_sessions_reach_an_old_client_in_old_names() -> None:
    async with TestGateway(NEW_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy)) as old:
            await eventually(lambda: len(gw.connections) == 1, "an upstream connection")
            sent = await gw.broadcast("sessions.changed", gw.sessions_changed_patch())
            assert await old.recv() == expected(sent, fixture("sessions.changed.patch.old.json"))


@run_async
async def test_session_message_events_carry_the_session_status_in_the_client_s_names() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy), caps=[CAPABILITY]) as new, Client(url(proxy)) as old:
            await eventually(lambda: len(gw.connections) == 2, "two upstream connections")
            payload = fixture("session.message.json")  # captured at `running`; a turn ends `failed`
            payload["status"] = payload["session"]["status"] = "failed"
            sent = await gw.broadcast("session.message", payload)
            want = json.loads(sent)["payload"]
            want["status"] = want["session"]["status"] = "interrupted"
            assert await new.recv() == expected(sent, want)
            assert await old.recv_text() == sent


@run_async
async def test_sessions_subscribe_answers_an_opted_in_client_in_new_names() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy), caps=[CAPABILITY]) as new, Client(url(proxy)) as old:
            res = await new.request("sessions.subscribe", {"limit": 100})
            assert res == expected(gw.sent[-1], fixture("sessions.subscribe.new.json"))
            assert res["payload"]["subscribed"] is True
            assert [r.get("status") for r in res["payload"]["list"]["sessions"]] == [
                "interrupted", "interrupted", "waiting_for_response", "interrupted",
                "halted", "interrupted", "agent_responded", "agent_responded", None,
            ]
            # without params the gateway answers {subscribed: true}: passed as it is
            rid = new.next_id()
            await new.send({"type": "req", "id": rid, "method": "sessions.subscribe", "params": {}})
            assert await new.recv_text() == gw.sent[-1]
            # a client without the capability gets the gateway's bytes
            rid = old.next_id()
            await old.send({"type": "req", "id": rid, "method": "sessions.subscribe", "params": {"limit": 100}})
            text = await old.recv_text()
            assert text == gw.sent[-1] and json.loads(text)["payload"] == fixture("sessions.subscribe.old.json")


@run_async
async def test_sessions_subscribe_from_a_new_gateway_reaches_an_old_client_in_old_names() -> None:
    async with TestGateway(NEW_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy)) as client:
            res = await client.request("sessions.subscribe", {"limit": 100})
            assert res == expected(gw.sent[-1], fixture("sessions.subscribe.old.json"))


@run_async
async def test_real_tools_invoke_name_args_is_translated_in_output_for_an_opted_in_client() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy), caps=[CAPABILITY]) as new, Client(url(proxy)) as old:
            res = await new.request("tools.invoke", {"name": "sessions_list", "args": {}})
            assert res == expected(gw.sent[-1], fixture("tools.invoke.sessions_list.new.json"))
            payload = res["payload"]
            assert (payload["ok"], payload["toolName"], payload["source"]) == (True, "sessions_list", "core")
            assert json.loads(payload["output"]["content"][0]["text"])["sessions"] == payload["output"]["details"]["sessions"]
            # a client without the capability gets the gateway's bytes
            rid = old.next_id()
            await old.send({"type": "req", "id": rid, "method": "tools.invoke",
                            "params": {"name": "sessions_list", "args": {}}})
            text = await old.recv_text()
            assert text == gw.sent[-1]
            assert json.loads(text)["payload"] == fixture("tools.invoke.sessions_list.old.json")


@run_async
async def test_tools_invoke_spelled_with_tool_gets_the_gateway_s_refusal_untouched() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy), caps=[CAPABILITY]) as client:
            refused = captured_more()[5]  # what 2026.9.6 answered to {"tool": "sessions_list"}
            rid = client.next_id()
            await client.send({"type": "req", "id": rid, "method": "tools.invoke", "params": {"tool": "sessions_list", "args": {}}})
            text = await client.recv_text()
            assert text == gw.sent[-1]
            assert json.loads(text)["error"] == refused["error"]


# -- pass-through ---------------------------------------------------------------


@run_async
async def test_requests_unknown_frames_and_refusals_pass_byte_for_byte() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy), caps=[CAPABILITY]) as client:
            # the captured refused request, spelled with unusual spacing and non-ASCII
            refused = captured()[5]
            text = json.dumps(refused, indent=1, ensure_ascii=False).replace('"v2"', '"v2 ✓"')
            await client.send(text)
            answer = await client.recv_text()
            assert gw.received[-1] == text
            assert answer == gw.sent[-1]
            assert json.loads(answer)["error"]["message"] == (
                "invalid sessions.list params: at root: unexpected property 'statusVocabulary'"
            )
            # a frame type nobody knows
            odd = '{"type":"ping","nonce":1,  "status":"failed"}'
            await client.send(odd)
            assert (await client.recv())["error"]["message"] == "unknown method: None"
            assert gw.received[-1] == odd


@run_async
async def test_binary_frames_pass_untouched_both_ways() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy)) as client:
            blob = bytes(range(256)) + b'{"status":"failed"}'
            await client.send(blob)
            assert await client.recv_text() == blob
            assert gw.received[-1] == blob


@run_async
async def test_malformed_json_goes_to_the_gateway_and_the_connection_lives_on() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy), caps=[CAPABILITY]) as client:
            for bad in ['{"type":"req","id":"x","method":"sessions.list"', "[1,2", "sessions.list", "null", "[]"]:
                await client.send(bad)
                assert (await client.recv())["ok"] is False
                assert gw.received[-1] == bad
            res = await client.request("sessions.list")
            assert res["payload"]["sessions"][6]["status"] == "agent_responded"


@run_async
async def test_a_failed_sessions_list_is_passed_on_and_forgotten() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy), caps=[CAPABILITY]) as client:
            res = await client.request("sessions.list", {"status": "done"})
            assert res["ok"] is False
            assert res == json.loads(gw.sent[-1])


# -- sizes, failures, disconnects ---------------------------------------------------


@run_async
async def test_an_oversized_client_frame_closes_that_connection_only() -> None:
    async with TestGateway(OLD_VERSION, max_size=1 << 22) as gw, running_proxy(gw.url, max_frame_bytes=32 * 1024) as proxy:
        async with Client(url(proxy)) as client, Client(url(proxy)) as bystander:
            assert client.ws is not None
            await client.send("x" * 40_000)
            with pytest.raises(ConnectionClosed):
                await client.recv_text()
            assert client.ws.close_code == 1009
            await eventually(lambda: len(gw.connections) == 1, "the upstream side to be closed")
            assert not any(isinstance(m, str) and len(m) >= 40_000 for m in gw.received)
            res = await bystander.request("sessions.list")
            assert res["ok"]


@run_async
async def test_an_oversized_gateway_frame_closes_the_client_cleanly() -> None:
    async with TestGateway(OLD_VERSION, max_size=1 << 22) as gw, running_proxy(gw.url, max_frame_bytes=64 * 1024) as proxy:
        async with Client(url(proxy)) as client:
            assert client.ws is not None
            ok = await client.request("test.big", {"bytes": 1000})
            assert len(ok["payload"]["blob"]) == 1000
            await client.send({"type": "req", "id": "big", "method": "test.big", "params": {"bytes": 100_000}})
            with pytest.raises(ConnectionClosed):
                await client.recv_text()
            assert client.ws.close_code == 1009
        async with Client(url(proxy)) as again:
            assert (await again.request("sessions.list"))["ok"]


@run_async
async def test_an_upstream_that_refuses_closes_the_client_with_bad_gateway() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        gw.refuse = True
        async with connect(url(proxy), open_timeout=TIMEOUT, proxy=None) as ws:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert ws.close_code == 1014
            assert ws.close_reason == "upstream gateway unavailable"


@run_async
async def test_an_upstream_that_is_not_there_closes_the_client_with_bad_gateway() -> None:
    async with TestGateway(OLD_VERSION) as gw:
        dead = gw.url
    async with running_proxy(dead) as proxy:
        async with connect(url(proxy), open_timeout=TIMEOUT, proxy=None) as ws:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert ws.close_code == 1014


@run_async
async def test_an_upstream_that_drops_closes_the_client() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy)) as client:
            assert client.ws is not None
            await client.send({"type": "req", "id": "d", "method": "test.drop", "params": {}})
            with pytest.raises(ConnectionClosed):
                await client.recv_text()
            assert client.ws.close_code == 1001


@run_async
async def test_a_gateway_close_code_is_passed_to_the_client() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy)) as client:
            assert client.ws is not None
            for conn in list(gw.connections):
                await conn.close(1002, "protocol mismatch")
            with pytest.raises(ConnectionClosed):
                await client.recv_text()
            assert (client.ws.close_code, client.ws.close_reason) == (1002, "protocol mismatch")


@run_async
async def test_a_client_that_leaves_mid_request_closes_its_upstream() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        client = Client(url(proxy), caps=[CAPABILITY])
        await client.__aenter__()
        await client.send({"type": "req", "id": "slow", "method": "test.slow", "params": {"seconds": 0.3}})
        assert client.ws is not None
        client.ws.transport.abort()  # no close frame
        await eventually(lambda: not gw.connections, "the gateway to see its connection closed")
        await asyncio.sleep(0.4)  # the slow answer arrives at a closed proxy connection: no crash
        async with Client(url(proxy), caps=[CAPABILITY]) as other:
            res = await other.request("sessions.list")
            assert res["payload"]["sessions"][4]["status"] == "halted"


# -- many connections, policy, counters ---------------------------------------------


@run_async
async def test_many_concurrent_connections_each_get_their_own_vocabulary() -> None:
    counters = UsageCounters()
    async with TestGateway(NEW_VERSION) as gw, running_proxy(gw.url, counters=counters) as proxy:

        async def one(i: int) -> tuple[int, list[Any], list[Any]]:
            caps = [CAPABILITY] if i % 2 else []
            async with Client(url(proxy), caps=caps, client_id="cli", version=f"v{i % 3}") as c:
                rows = []
                for _ in range(3):
                    res = await c.request("sessions.list")
                    rows.append([r.get("status") for r in res["payload"]["sessions"]])
                tool = await c.request("tools.invoke", {"name": "sessions_list", "args": {}})
                return i, rows, tool["payload"]["output"]["details"]["sessions"]

        results = await asyncio.gather(*(one(i) for i in range(40)))
    old_rows = [r.get("status") for r in fixture("sessions.list.old.json")["sessions"]]
    new_rows = [r.get("status") for r in fixture("sessions.list.new.json")["sessions"]]
    for i, rows, tool_rows in results:
        want = "new" if i % 2 else "old"
        assert rows == [new_rows if i % 2 else old_rows] * 3
        assert tool_rows == fixture(f"tools.invoke.sessions_list.{want}.json")["output"]["details"]["sessions"]
    # 20 old-vocabulary clients, spread over three client versions
    usage = {(u.client_id, u.client_version): u for u in counters.snapshot()}
    assert sum(u.connections for u in usage.values()) == 20
    assert sum(u.frames for u in usage.values()) == 20 * 4
    assert set(usage) == {("cli", "v0"), ("cli", "v1"), ("cli", "v2")}
    # 7 such clients; 8 rows with a status per list, 8 more per tool result (details and text)
    assert usage[("cli", "v0")].translated == 7 * (8 * 3 + 8 * 2)


@run_async
async def test_mode_new_serves_new_names_to_everyone() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url, policy=Policy(Mode.NEW)) as proxy:
        async with Client(url(proxy)) as client:
            res = await client.request("sessions.list")
            assert res["payload"] == fixture("sessions.list.new.json")


@run_async
async def test_mode_legacy_serves_old_names_to_opted_in_clients() -> None:
    async with TestGateway(NEW_VERSION) as gw, running_proxy(gw.url, policy=Policy(Mode.LEGACY)) as proxy:
        async with Client(url(proxy), caps=[CAPABILITY]) as client:
            res = await client.request("sessions.list")
            assert res["payload"] == fixture("sessions.list.old.json")


@run_async
async def test_past_sunset_old_names_are_not_served_unless_the_window_is_extended() -> None:
    async with TestGateway("2027.4.0") as gw:
        async with running_proxy(gw.url) as proxy, Client(url(proxy)) as client:
            rid = client.next_id()
            await client.send({"type": "req", "id": rid, "method": "sessions.list", "params": {}})
            assert await client.recv_text() == gw.sent[-1]  # new names, untouched
        extended = Policy(extend_window_until=dt.date.today() + dt.timedelta(days=30))
        async with running_proxy(gw.url, policy=extended) as proxy, Client(url(proxy)) as client:
            res = await client.request("sessions.list")
            assert res["payload"] == fixture("sessions.list.old.json")


@run_async
async def test_a_configured_gateway_version_overrides_hello_ok() -> None:
    policy = Policy(gateway_version=parse_version("2027.4.0"))
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url, policy=policy) as proxy:
        async with Client(url(proxy)) as client:
            res = await client.request("sessions.list")
            assert res["payload"] == fixture("sessions.list.new.json")


@run_async
async def test_usage_counters_name_each_old_vocabulary_client() -> None:
    counters = UsageCounters()
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url, counters=counters) as proxy:
        async with Client(url(proxy), client_id="cli", version="2026.9.6") as a:
            await a.request("sessions.list")
            await a.request("sessions.list")
        async with Client(url(proxy), client_id="webchat", version="dev", caps=[CAPABILITY]) as b:
            await b.request("sessions.list")
    assert [u.line() for u in counters.snapshot()] == [
        "old-vocabulary client=cli version=2026.9.6 connections=1 frames=2 translated=0 refused=0"
    ]


# Frames as other writers could spell them: spaces, escapes, floats, big
# integers, keys in another order, a status of another vocabulary.
PASS_THROUGH = [
    '{ "type" : "event", "event" : "tick", "payload" : {"ts": 1.0e3, "n": 123456789012345678901234567890}, "seq": 1 }',
    '{"type":"event","event":"agent","payload":{"runId":"r","stream":"lifecycle","data":{"status":"failed"},'
    '"sessionKey":"agent:main:main"},"seq":2}',
    '{"event":"task","type":"event","payload":{"task":{"taskId":"t","status":"timeout","title":"caf\\u00e9 \u2603"}}}',
    '{"type":"res","id":"not-asked","ok":true,"payload":{"status":"done","sessionId":"s","updatedAt":1}}',
    '{"type":"event","event":"presence","payload":[{"text":"\\ud83e\\udd9e lobster","status":"done"}]}',
]


@run_async
async def test_frames_that_need_no_rewrite_arrive_byte_identical() -> None:
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy), caps=[CAPABILITY]) as new, Client(url(proxy)) as old:
            await eventually(lambda: len(gw.connections) == 2, "two upstream connections")
            for text in PASS_THROUGH:
                for conn in list(gw.connections):
                    await conn.send(text)
                assert await new.recv_text() == text
                assert await old.recv_text() == text
            # an old client on an old gateway: even a surface frame goes through untouched
            changed = '{"type":"event","event":"sessions.changed","payload":{"sessionKey":"k","status":"done",  "x":1.50}}'
            for conn in list(gw.connections):
                await conn.send(changed)
            assert await old.recv_text() == changed
            got = await new.recv()
            assert got["payload"] == {"sessionKey": "k", "status": "agent_responded", "x": 1.5}


def _unmasked_frame(text: str) -> bytes:
    """A final text frame as a server writes it (RFC 6455 section 5.2)."""
    data = text.encode("utf-8")
    if len(data) < 126:
        return bytes((0x81, len(data))) + data
    if len(data) < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, len(data)) + data
    return struct.pack("!BBQ", 0x81, 127, len(data)) + data


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    """One whole unmasked frame off the socket: its header and its payload."""
    head = await asyncio.wait_for(reader.readexactly(2), TIMEOUT)
    size, more = head[1] & 0x7F, b""
    if size >= 126:
        more = await reader.readexactly(2 if size == 126 else 8)
        size = int.from_bytes(more, "big")
    return head + more + await asyncio.wait_for(reader.readexactly(size), TIMEOUT)


@run_async
async def test_pass_through_frames_reach_the_wire_as_the_gateway_wrote_them() -> None:
    """Read at the socket, below any WebSocket library: each frame the proxy
    has no reason to rewrite arrives as the gateway's frame, header and
    payload, whatever its size, alone or in a run of frames that arrived
    together; a translated one between them does not disturb the others."""
    big = '{"type":"event","event":"agent","payload":{"text":"' + "x" * 70_000 + '"}}'
    mid = '{"type":"event","event":"agent","payload":{"text":"' + "é" * 300 + '"}}'
    changed = '{"type":"event","event":"sessions.changed","payload":{"sessionKey":"k","status":"done"}}'
    renamed = '{"type":"event","event":"sessions.changed","payload":{"sessionKey":"k","status":"agent_responded"}}'
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{proxy.port}\r\nUpgrade: websocket\r\n"
                     f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
        assert b"connect.challenge" in await _read_frame(reader)
        # connect as a client that asks for the new names (a masked frame)
        params = captured()[1]["params"] | {"caps": [CAPABILITY]}
        request = json.dumps({"type": "req", "id": "c1", "method": "connect", "params": params}).encode()
        mask = os.urandom(4)
        assert len(request) < 1 << 16
        writer.write(struct.pack("!BBH", 0x81, 0x80 | 126, len(request)) + mask
                     + bytes(b ^ mask[i % 4] for i, b in enumerate(request)))
        assert b"hello-ok" in await _read_frame(reader)
        (conn,) = gw.connections
        sent = [*PASS_THROUGH, big, mid, changed, *PASS_THROUGH[:2]]
        for text in sent:  # back to back: several reach the proxy in one read
            await conn.send(text)
        want = b"".join(_unmasked_frame(renamed if text == changed else text) for text in sent)
        assert await asyncio.wait_for(reader.readexactly(len(want)), TIMEOUT) == want
        writer.close()


@run_async
async def test_a_burst_to_a_client_that_reads_late_arrives_whole_and_in_order() -> None:
    """Frames forwarded at once and frames queued behind a full buffer (the
    client is not reading) keep their order; translated ones among them too."""
    changed = fixture("sessions.changed.old.json")
    async with TestGateway(OLD_VERSION, max_size=1 << 24) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy), caps=[CAPABILITY]) as client:
            assert client.ws is not None
            rid = client.next_id()
            count = 1500
            await client.send({"type": "req", "id": rid, "method": "test.burst",
                               "params": {"event": "sessions.changed", "payload": changed, "count": count}})
            await asyncio.sleep(0.5)  # let the proxy's buffers fill while nobody reads
            seqs = []
            while True:
                frame = await client.recv()
                if frame.get("type") == "res":
                    break
                assert frame["payload"] == fixture("sessions.changed.new.json")
                seqs.append(frame["seq"])
    assert seqs == list(range(count))


@run_async
async def test_fragmented_messages_and_pings_between_frames_pass_both_ways() -> None:
    """Frames the proxy reads itself and those it leaves to the library meet in
    one stream: a message in fragments, pings, then whole frames again."""
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy), caps=[CAPABILITY]) as client:
            assert client.ws is not None
            await eventually(lambda: len(gw.connections) == 1, "the upstream connection")
            (conn,) = gw.connections
            echo = '{"type":"req","id":"e1","method":"test.echo","params":{"x":"' + "y" * 3000 + '"}}'
            await client.ws.send([echo[:1000], echo[1000:2000], echo[2000:]])  # one message, three frames
            await client.ws.ping()
            res = await client.response("e1")
            assert res["payload"] == {"x": "y" * 3000}
            await conn.ping()
            changed = json.dumps({"type": "event", "event": "sessions.changed",
                                  "payload": fixture("sessions.changed.old.json")}, separators=(",", ":"))
            await conn.send([changed[:500], changed[500:]])  # translated after reassembly
            assert (await client.recv())["payload"] == fixture("sessions.changed.new.json")
            await conn.send("x" * 70000)  # a 64-bit length, passed whole
            assert await client.recv_text() == "x" * 70000
            res = await client.request("sessions.list")
            assert res["payload"] == fixture("sessions.list.new.json")


@run_async
async def test_a_long_stream_arrives_whole_and_the_connection_answers_after() -> None:
    """Events streamed faster than one read each: every frame arrives, byte
    for byte and in order, requests are answered after it, and a client that
    leaves mid-stream leaves the proxy serving others."""
    payload = {"runId": "r", "status": "done", "text": "é" * 40}
    async with TestGateway(OLD_VERSION, max_size=1 << 24) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy)) as client:
            assert client.ws is not None
            rid, count = client.next_id(), 4000
            await client.send({"type": "req", "id": rid, "method": "test.burst",
                               "params": {"event": "agent", "payload": payload, "count": count}})
            texts = []
            while True:
                text = await client.recv_text()
                if json.loads(text).get("type") == "res":
                    break
                texts.append(text)
            assert texts == [json.dumps({"type": "event", "event": "agent", "payload": payload, "seq": seq},
                                        ensure_ascii=False, separators=(",", ":")) for seq in range(count)]
            assert (await client.request("test.echo", {"after": 1}))["payload"] == {"after": 1}
        async with Client(url(proxy)) as leaving:
            await leaving.send({"type": "req", "id": leaving.next_id(), "method": "test.burst",
                                "params": {"event": "agent", "payload": payload, "count": 20000}})
            for _ in range(50):
                await leaving.recv_text()
            assert leaving.ws is not None
            leaving.ws.transport.abort()  # gone mid-stream, without a close handshake
        async with Client(url(proxy), caps=[CAPABILITY]) as other:
            assert (await other.request("sessions.list"))["payload"] == fixture("sessions.list.new.json")


# -- the relay below the library: handshake leftovers, masks, violations ----------


class RawGateway:
    """A gateway written at the socket: it accepts one WebSocket, writes its
    101 answer and ``first`` in one write, then keeps every byte it reads."""

    def __init__(self, first: bytes = b"") -> None:
        self.first, self.received = first, bytearray()
        self.writer: asyncio.StreamWriter | None = None
        self.ended = asyncio.Event()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        key = next(line.split(b":", 1)[1].strip() for line in request.split(b"\r\n")
                   if line.lower().startswith(b"sec-websocket-key:"))
        accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
        self.writer = writer
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n" + self.first)
        while data := await reader.read(1 << 16):
            self.received += data
        self.ended.set()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        try:
            yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        finally:
            if self.writer is not None:
                self.writer.close()
            server.close()


async def _raw_client(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)).startswith(b"HTTP/1.1 101")
    return reader, writer


def _masked_frame(first: int, data: bytes, mask: bytes) -> bytes:
    """A small frame as a client writes it, with its own mask."""
    assert len(data) < 126
    return bytes((first, 0x80 | len(data))) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


@run_async
async def test_frames_the_gateway_writes_with_its_handshake_reach_the_client() -> None:
    """The 101 answer and the first frames in one read: the library takes the
    handshake, the frames after it still reach the client, in order."""
    first = [b'{"type":"event","event":"connect.challenge","payload":{"nonce":"n"}}',
             b'{"type":"event","event":"tick","payload":{"ts":1}}']
    gateway = RawGateway(b"".join(_unmasked_frame(f.decode()) for f in first))
    async with gateway.running() as upstream, running_proxy(upstream) as proxy:
        async with connect(url(proxy), open_timeout=TIMEOUT, proxy=None) as ws:
            assert [await asyncio.wait_for(ws.recv(decode=False), TIMEOUT) for _ in first] == first
            assert gateway.writer is not None
            gateway.writer.close()  # it goes away without a close frame: the client is told
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert ws.close_code == 1001


@run_async
async def test_a_client_s_frames_reach_the_gateway_in_the_client_s_own_bytes() -> None:
    """A text frame, a binary one and a ping that need no rewrite arrive at
    the gateway as the client wrote them, mask and all."""
    gateway = RawGateway()
    frames = [_masked_frame(0x81, b'{"type":"req","id":"1","method":"health","params":{}}', b"\x01\x02\x03\x04"),
              _masked_frame(0x82, b"\x00\xffbinary", b"\xfe\xdc\xba\x98"),
              _masked_frame(0x89, b"ping", b"\x11\x22\x33\x44")]
    async with gateway.running() as upstream, running_proxy(upstream) as proxy:
        _, writer = await _raw_client(proxy.port)
        writer.write(b"".join(frames))
        await eventually(lambda: len(gateway.received) >= len(b"".join(frames)), "the frames at the gateway")
        assert bytes(gateway.received) == b"".join(frames)
        writer.close()


@run_async
async def test_a_frame_with_reserved_bits_closes_both_sides_with_protocol_error() -> None:
    gateway = RawGateway()
    async with gateway.running() as upstream, running_proxy(upstream) as proxy:
        reader, writer = await _raw_client(proxy.port)
        writer.write(_masked_frame(0xC1, b"{}", b"\x01\x02\x03\x04"))  # RSV1 set, no extension agreed
        close = await _read_frame(reader)
        assert close[0] == 0x88 and struct.unpack("!H", close[2:4])[0] == 1002
        assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""  # then the socket closes
        await asyncio.wait_for(gateway.ended.wait(), TIMEOUT)
        sent = bytes(gateway.received)
        assert sent[0] == 0x88 and sent[1] & 0x80  # a close, masked, as a client's
        body = bytes(b ^ sent[2 + i % 4] for i, b in enumerate(sent[6:6 + (sent[1] & 0x7F)]))
        assert struct.unpack("!H", body[:2])[0] == 1002
        writer.close()


@run_async
async def test_closing_the_proxy_closes_its_connections_with_going_away() -> None:
    async with TestGateway(OLD_VERSION) as gw:
        async with running_proxy(gw.url) as proxy:
            client = Client(url(proxy))
            await client.__aenter__()
            assert (await client.request("sessions.list"))["ok"]
            await asyncio.wait_for(proxy.close(), TIMEOUT)
            assert client.ws is not None
            with pytest.raises(ConnectionClosed):
                await client.recv_text()
            assert client.ws.close_code == 1001
            await eventually(lambda: not gw.connections, "the gateway to see its connection closed")


@run_async
async def test_a_failure_inside_the_relay_closes_that_connection_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from migrator.compat.frames import FrameSession

    real = FrameSession.from_gateway

    def broken(self: FrameSession, text: Any) -> Any:
        if b"test.echo" in text or b'"boom"' in text:
            raise RuntimeError("boom")
        return real(self, text)

    monkeypatch.setattr(FrameSession, "from_gateway", broken)
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy)) as client, Client(url(proxy)) as bystander:
            assert client.ws is not None
            await client.send({"type": "req", "id": "x", "method": "test.echo", "params": {"boom": 1}})
            with pytest.raises(ConnectionClosed):
                await client.recv_text()
            assert (client.ws.close_code, client.ws.close_reason) == (1011, "proxy error")
            assert (await bystander.request("sessions.list"))["ok"]


class SlowGateway(RawGateway):
    """A raw gateway that answers the handshake only after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(self.delay)
        await super()._serve(reader, writer)


@run_async
async def test_a_client_cannot_pile_up_bytes_while_the_upstream_handshake_is_pending() -> None:
    gateway = SlowGateway(1.5)
    async with gateway.running() as upstream, running_proxy(upstream) as proxy:
        _, writer = await _raw_client(proxy.port)
        chunk = struct.pack("!BBH", 0x82, 0x80 | 126, 60_000) + b"\0\0\0\0" + b"\0" * 60_000
        sent, loop = 0, asyncio.get_running_loop()
        until = loop.time() + 1.0
        while loop.time() < until:
            writer.write(chunk)
            sent += len(chunk)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(writer.drain(), 0.05)
        # The proxy stopped reading: what the client got rid of is what the
        # sockets' buffers hold, not all it tried to send.
        assert sent < 64 << 20, f"{sent} bytes taken in"
        writer.transport.abort()


@run_async
async def test_a_gateway_that_vanishes_after_the_client_s_close_closes_the_client() -> None:
    gateway = RawGateway()
    async with gateway.running() as upstream, running_proxy(upstream) as proxy:
        reader, writer = await _raw_client(proxy.port)
        writer.write(_masked_frame(0x88, struct.pack("!H", 1000), b"\x01\x02\x03\x04"))
        await eventually(lambda: len(gateway.received) >= 8, "the close at the gateway")
        assert gateway.writer is not None
        gateway.writer.transport.abort()  # gone without answering the close
        close = await _read_frame(reader)
        assert close[0] == 0x88 and struct.unpack("!H", close[2:4])[0] == 1001
        assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""
        writer.close()


@run_async
async def test_a_client_that_vanishes_after_the_gateway_s_close_closes_the_gateway() -> None:
    gateway = RawGateway(bytes((0x88, 2)) + struct.pack("!H", 1000))
    async with gateway.running() as upstream, running_proxy(upstream) as proxy:
        reader, writer = await _raw_client(proxy.port)
        assert (await _read_frame(reader))[0] == 0x88
        writer.transport.abort()  # gone without answering the close
        await asyncio.wait_for(gateway.ended.wait(), TIMEOUT)
        sent = bytes(gateway.received)
        assert sent[0] == 0x88  # the gateway's close is answered, then its socket closed
        await asyncio.wait_for(proxy.close(), TIMEOUT)


@run_async
async def test_a_refused_request_in_fragments_is_answered_here_and_not_forwarded() -> None:
    import dataclasses

    from migrator.compat import GatewayProxy, proxy_config
    from migrator.manifest import GatewaySurface, load_manifest

    manifest = load_manifest()
    manifest = dataclasses.replace(manifest, gateway=(
        *manifest.gateway, GatewaySurface(kind="request", name="sessions.list", pointers=("/statuses/*",))))
    async with TestGateway("2027.4.0") as gw:  # past the sunset: old names in requests are refused
        proxy = GatewayProxy(proxy_config("127.0.0.1:0", gw.url, manifest=manifest))
        await proxy.start()
        try:
            async with Client(url(proxy)) as client:
                assert client.ws is not None
                text = json.dumps({"type": "req", "id": "r7", "method": "sessions.list",
                                   "params": {"statuses": ["killed"]}})
                await client.ws.send([text[:20], text[20:]])  # one message, two frames
                answer = json.loads(await client.recv_text())
                assert answer["id"] == "r7" and answer["ok"] is False and "'halted'" in answer["error"]["message"]
                assert (await client.request("test.echo", {"after": 1}))["payload"] == {"after": 1}
                assert not any("r7" in m for m in gw.received if isinstance(m, str))
        finally:
            await proxy.close()


@pytest.mark.parametrize("event", ["sessions.changed", "agent"])
@run_async
async def test_a_frame_nested_deeper_than_python_recurses_passes_as_it_came(event: str) -> None:
    # orjson reads 950 levels; walking them or writing them again does not:
    # the frame passes untouched and the connection goes on.
    deep = "[" * 950 + "]" * 950
    sent = '{"type":"event","event":"%s","payload":{"session":{"status":"done"},"status":"done","x":%s}}' % (
        event, deep)
    async with TestGateway(OLD_VERSION) as gw, running_proxy(gw.url) as proxy:
        async with Client(url(proxy), caps=[CAPABILITY]) as client:
            (conn,) = gw.connections
            await conn.send(sent)
            assert await client.recv_text() == sent
            await conn.send(json.dumps({"type": "event", "event": "sessions.changed",
                                        "payload": {"sessionKey": "a", "status": "done"}}))
            assert (await client.recv())["payload"]["status"] == "agent_responded"
            request = '{"type":"req","id":"d1","method":"sessions.list","params":{"x":%s}}' % deep
            await client.send(request)
            for _ in range(100):
                if request in gw.received:
                    break
                await asyncio.sleep(0.02)
            assert request in gw.received
