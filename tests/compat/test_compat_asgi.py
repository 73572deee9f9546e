"""The ASGI middleware, called directly with a real ASGI gateway app."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

from gatewaylib import CAPABILITY, fixture
from migrator.compat import CompatMiddleware, Policy, UsageCounters

DEPRECATION = (b"deprecation", b"@1799971200")
SUNSET = (b"sunset", b"Thu, 15 Apr 2027 00:00:00 GMT")


def gateway_app(vocabulary: str, *, chunked: bool = False) -> Any:
    """A tiny HTTP gateway: POST /tools/invoke like OpenClaw's 2026.9.6 (the tool
    in `name`, else `tool`; the answer {"ok": true, "result": ...}), anything else 404."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] != "/tools/invoke":
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"not found: status failed"})
            return
        request = json.loads(body)
        tool = request.get("name") or request.get("tool")
        result = fixture(f"sessions_list.tool.{vocabulary}.json") if tool == "sessions_list" else fixture("sessions_send.tool.json")
        out = json.dumps({"ok": True, "result": result}).encode()
        headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(out)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if chunked:
            half = len(out) // 2
            await send({"type": "http.response.body", "body": out[:half], "more_body": True})
            await send({"type": "http.response.body", "body": out[half:], "more_body": False})
        else:
            await send({"type": "http.response.body", "body": out})

    return app


def call(app: Any, path: str, body: dict[str, Any], headers: list[tuple[bytes, bytes]] = (), *,
         method: str = "POST", split: bool = False) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Run one request through ``app``; return status, headers and body."""
    raw = json.dumps(body).encode()
    parts = [raw[:7], raw[7:]] if split else [raw]
    incoming = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": list(headers), "query_string": b""}
    asyncio.run(app(scope, receive, send))
    start = sent[0]
    assert start["type"] == "http.response.start"
    return start["status"], start["headers"], b"".join(m.get("body", b"") for m in sent[1:])


def direct(vocabulary: str, path: str, body: dict[str, Any]) -> bytes:
    return call(gateway_app(vocabulary), path, body)[2]


def length_ok(headers: list[tuple[bytes, bytes]], body: bytes) -> bool:
    return [v for k, v in headers if k == b"content-length"] == [str(len(body)).encode()]


def test_new_gateway_answers_an_old_client_in_old_names_with_deprecation_headers() -> None:
    counters = UsageCounters()
    app = CompatMiddleware(gateway_app("new"), gateway_version="2027.1.0", counters=counters)
    status, headers, body = call(app, "/tools/invoke", {"tool": "sessions_list", "args": {}},
                                 [(b"user-agent", b"orchestrator/1.4 python-httpx/0.27")])
    assert status == 200
    assert json.loads(body) == {"ok": True, "result": fixture("sessions_list.tool.old.json")}
    assert DEPRECATION in headers and SUNSET in headers
    link = dict(headers)[b"link"]
    assert b'<https://docs.openclaw.ai/migrations/session-status>; rel="deprecation"' in link
    assert b'rel="sunset"' in link
    assert (b"vary", b"x-openclaw-caps") in headers
    assert length_ok(headers, body)
    assert [u.line() for u in counters.snapshot()] == [
        "old-vocabulary client=orchestrator version=1.4 connections=1 frames=1 translated=16 refused=0"
    ]


def test_a_client_with_the_capability_gets_the_gateway_s_bytes_and_no_deprecation() -> None:
    app = CompatMiddleware(gateway_app("new"), gateway_version="2027.1.0")
    status, headers, body = call(app, "/tools/invoke", {"tool": "sessions_list"},
                                 [(b"x-openclaw-caps", f"other, {CAPABILITY}".encode())])
    assert body == direct("new", "/tools/invoke", {"tool": "sessions_list"})
    assert not any(k in (b"deprecation", b"sunset", b"link") for k, _ in headers)
    assert length_ok(headers, body)


def test_old_gateway_answers_an_opted_in_client_in_new_names() -> None:
    app = CompatMiddleware(gateway_app("old", chunked=True), gateway_version="2026.9.6")
    _, headers, body = call(app, "/tools/invoke", {"tool": "sessions_list"},
                            [(b"x-openclaw-caps", CAPABILITY.encode())], split=True)
    assert json.loads(body)["result"] == fixture("sessions_list.tool.new.json")
    assert length_ok(headers, body)


def test_other_tools_paths_and_methods_pass_through_untouched() -> None:
    app = CompatMiddleware(gateway_app("new"), gateway_version="2027.1.0")
    send = call(app, "/tools/invoke", {"tool": "sessions_send"})
    assert send[2] == direct("new", "/tools/invoke", {"tool": "sessions_send"})
    assert json.loads(send[2])["result"]["details"]["status"] == "timeout"
    assert not any(k == b"deprecation" for k, _ in send[1])
    other = call(app, "/elsewhere", {"tool": "sessions_list"})
    assert other[0] == 404 and other[2] == b"not found: status failed"


def test_past_sunset_old_names_are_served_only_inside_an_explicit_extension() -> None:
    closed = CompatMiddleware(gateway_app("new"), gateway_version="2027.4.0", today=dt.date(2027, 5, 1))
    _, headers, body = call(closed, "/tools/invoke", {"tool": "sessions_list"})
    assert body == direct("new", "/tools/invoke", {"tool": "sessions_list"})
    assert DEPRECATION not in headers
    extended = CompatMiddleware(gateway_app("new"), gateway_version="2027.4.0", today=dt.date(2027, 5, 1),
                                policy=Policy(extend_window_until=dt.date(2027, 6, 1)))
    _, headers, body = call(extended, "/tools/invoke", {"tool": "sessions_list"})
    assert json.loads(body)["result"] == fixture("sessions_list.tool.old.json")
    assert DEPRECATION in headers and SUNSET in headers


def test_a_body_over_the_limit_streams_through_untranslated() -> None:
    app = CompatMiddleware(gateway_app("new", chunked=True), gateway_version="2027.1.0", max_body_bytes=1024)
    _, headers, body = call(app, "/tools/invoke", {"tool": "sessions_list"})
    assert body == direct("new", "/tools/invoke", {"tool": "sessions_list"})
    assert length_ok(headers, body)
    assert DEPRECATION not in headers  # it was not served in the old vocabulary


def test_the_body_openclaw_reads_first_names_the_tool_in_name() -> None:
    """The real handler reads `input.name ?? input.tool`, args in `args`."""
    app = CompatMiddleware(gateway_app("new"), gateway_version="2027.1.0")
    status, headers, body = call(app, "/tools/invoke", {"name": "sessions_list", "args": {}})
    assert status == 200
    assert json.loads(body) == {"ok": True, "result": fixture("sessions_list.tool.old.json")}
    assert DEPRECATION in headers and length_ok(headers, body)
    opted_in = call(app, "/tools/invoke", {"name": "sessions_list", "args": {}}, [(b"x-openclaw-caps", CAPABILITY.encode())])
    assert opted_in[2] == direct("new", "/tools/invoke", {"name": "sessions_list", "args": {}})
    send = call(app, "/tools/invoke", {"name": "sessions_send", "tool": "sessions_list"})
    assert send[2] == direct("new", "/tools/invoke", {"name": "sessions_send"})  # `name` wins, as in OpenClaw


def test_a_body_nested_deeper_than_python_recurses_passes_as_it_came() -> None:
    deep = b'{"ok":true,"result":{"details":{"sessions":[{"key":"a","status":"done","x":' + \
        b"[" * 5000 + b"]" * 5000 + b"}]}}}"

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(deep)).encode())]})
        await send({"type": "http.response.body", "body": deep})

    compat = CompatMiddleware(app, gateway_version="2026.9.6")
    status, headers, body = call(compat, "/tools/invoke", {"tool": "sessions_list"},
                                 [(b"x-openclaw-caps", CAPABILITY.encode())])
    assert (status, body) == (200, deep)
    assert length_ok(headers, body)
