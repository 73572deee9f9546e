"""``migrator gateway`` as a process: options, one-line errors, stats, shutdown."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from gatewaylib import CAPABILITY, OLD_VERSION, TIMEOUT, Client, TestGateway, run_async

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def gateway_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "migrator.compat", *args]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(gateway_cmd(*args), env=ENV, capture_output=True, text=True, timeout=TIMEOUT * 2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--listen", "nonsense"], "--listen 'nonsense': expected HOST:PORT"),
        (["--listen", "127.0.0.1:99999"], "expected HOST:PORT"),
        (["--listen", "0.0.0.0:18790"], "not a loopback address; pass --allow-remote"),
        (["--upstream", "http://127.0.0.1:18789"], "expected a ws:// or wss:// URL"),
        (["--upstream", "ws://127.0.0.1:port"], "the port is not a number"),
        (["--mode", "legacy", "--gateway-version", "2027.4.0"], "extend the window with --extend-window-until"),
        (["--extend-window-until", "soon"], "is not a date"),
        (["--gateway-version", "banana"], "not an OpenClaw version"),
        (["--mode", "sideways"], "'sideways' is not one of"),
    ],
)
def test_usage_errors_are_one_clear_line_and_exit_2(args: list[str], message: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run("--listen", f"127.0.0.1:{port}")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr


async def _start(upstream: str, *extra: str) -> tuple[asyncio.subprocess.Process, int]:
    proc = await asyncio.create_subprocess_exec(
        *gateway_cmd("--listen", "127.0.0.1:0", "--upstream", upstream, "--stats", *extra),
        env=ENV, stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    line = (await asyncio.wait_for(proc.stderr.readline(), TIMEOUT)).decode()
    match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    assert match, line
    return proc, int(match.group(1))


async def _stop(proc: asyncio.subprocess.Process) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    assert proc.stderr is not None
    rest = await asyncio.wait_for(proc.stderr.read(), TIMEOUT)
    return await asyncio.wait_for(proc.wait(), TIMEOUT), rest.decode()


@run_async
async def test_the_proxy_process_translates_and_reports_usage_on_exit() -> None:
    async with TestGateway(OLD_VERSION) as gw:
        proc, port = await _start(gw.url)
        try:
            async with Client(f"ws://127.0.0.1:{port}", caps=[CAPABILITY]) as new:
                res = await new.request("sessions.list")
                assert res["payload"]["sessions"][0]["status"] == "interrupted"
            async with Client(f"ws://127.0.0.1:{port}", client_id="cli", version="0.9") as old:
                await old.request("sessions.list")
        finally:
            code, err = await _stop(proc)
    assert code == 0
    assert "old-vocabulary client=cli version=0.9 connections=1 frames=1 translated=0 refused=0" in err
    assert "Traceback" not in err


@run_async
async def test_a_refused_upstream_is_a_log_line_not_a_traceback() -> None:
    async with TestGateway(OLD_VERSION) as gw:
        dead = gw.url
    proc, port = await _start(dead)
    try:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        async with connect(f"ws://127.0.0.1:{port}", proxy=None, open_timeout=TIMEOUT) as ws:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert ws.close_code == 1014
    finally:
        code, err = await _stop(proc)
    assert code == 0
    assert f"upstream {dead} unavailable" in err
    assert "Traceback" not in err


@run_async
async def test_audit_logs_a_leaked_session_status_with_its_pointer_and_counts_it_on_exit() -> None:
    row = {"sessionId": "5b2e8f14", "updatedAt": 1795484485000, "status": "failed"}
    async with TestGateway(OLD_VERSION) as gw:
        proc, port = await _start(gw.url, "--audit")
        try:
            async with Client(f"ws://127.0.0.1:{port}", caps=[CAPABILITY]) as new:
                res = await new.request("sessions.list")  # a surface: translated, no leak
                assert res["payload"]["sessions"][0]["status"] == "interrupted"
                # an event no surface names, holding a session row in old names
                await gw.broadcast("session.observer", {"sessionKey": "agent:main:main", "session": row})
                leaked = await new.recv()
                assert leaked["payload"]["session"]["status"] == "failed"  # passed on as it came
                # a `status` of another vocabulary is no session row
                await gw.broadcast("task", {"task": {"taskId": "t1", "status": "failed", "updatedAt": 1}})
                await new.recv()
        finally:
            code, err = await _stop(proc)
    assert code == 0
    assert ("audit: event session.observer passed session status 'failed' at /session/status "
            "to a client of new names") in err
    assert "audit: 1 session statuses in the other vocabulary, in " in err
    assert "audit: event session.observer: 1" in err
    assert "Traceback" not in err
