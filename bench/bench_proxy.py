"""What the compatibility proxy costs: latency added per request and frames per
second, against a direct connection to the same gateway, measured side by side.

    python bench/bench_proxy.py [--rounds N] [--burst N]

Three processes on loopback: the test gateway (an old 2026.9.6 one), the proxy
(`python -m migrator.compat`), and this client. Direct and proxied runs are
interleaved in blocks so drift on the machine hits both alike. Everything is
bounded in count and in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from gatewaylib import CAPABILITY, OLD_VERSION, Client, TestGateway, fixture  # noqa: E402

DEADLINE_S = 120.0  # the whole run stops here, finished or not
BLOCKS = 5  # direct/proxied alternations per measurement
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


async def serve_gateway() -> None:
    """Child mode: run the test gateway until stdin closes."""
    async with TestGateway(OLD_VERSION, max_size=1 << 24, record=False) as gw:
        print(gw.port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def spawn(args: list[str], pattern: str, stream: str) -> tuple[asyncio.subprocess.Process, int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, env=ENV, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    source = proc.stdout if stream == "stdout" else proc.stderr
    assert source is not None
    line = (await asyncio.wait_for(source.readline(), 10)).decode()
    match = re.search(pattern, line)
    if not match:
        raise SystemExit(f"could not start {args}: {line!r}")
    return proc, int(match.group(1))


async def round_trips(url: str, caps: list[str], method: str, params: Any, n: int) -> list[float]:
    """Seconds per request/response, ``n`` times on one connection."""
    async with Client(url, caps=caps) as client:
        for _ in range(20):  # warm up
            await client.request(method, params)
        times = []
        for _ in range(n):
            start = time.perf_counter()
            await client.request(method, params)
            times.append(time.perf_counter() - start)
    return times


async def burst(url: str, caps: list[str], event: str, payload: Any, n: int) -> float:
    """Frames per second of ``n`` events pushed by the gateway."""
    async with Client(url, caps=caps) as client:
        assert client.ws is not None
        rid = client.next_id()
        start = time.perf_counter()
        await client.send({"type": "req", "id": rid, "method": "test.burst",
                           "params": {"event": event, "payload": payload, "count": n}})
        got = 0
        while True:
            text = await client.ws.recv()
            frame = json.loads(text)
            if frame.get("type") == "res" and frame.get("id") == rid:
                break
            got += 1
        elapsed = time.perf_counter() - start
    assert got == n, (got, n)
    return n / elapsed


async def side_by_side(measure: Callable[[str], Awaitable[Any]], direct: str, proxied: str) -> tuple[list[Any], list[Any]]:
    d: list[Any] = []
    p: list[Any] = []
    for _ in range(BLOCKS):
        d.append(await measure(direct))
        p.append(await measure(proxied))
    return d, p


async def main(rounds: int, burst_n: int) -> None:
    gateway, gw_port = await spawn([__file__, "--serve-gateway"], r"^(\d+)", "stdout")
    proxy, px_port = await spawn(
        ["-m", "migrator.compat", "--listen", "127.0.0.1:0", "--upstream", f"ws://127.0.0.1:{gw_port}", "--stats",
         "--max-frame-bytes", str(1 << 24)],
        r"listening on 127\.0\.0\.1:(\d+)", "stderr",
    )
    direct, proxied = f"ws://127.0.0.1:{gw_port}", f"ws://127.0.0.1:{px_port}"
    per_block = max(1, rounds // BLOCKS)
    print(f"loopback; {BLOCKS} interleaved blocks; {per_block} round trips per block; bursts of {burst_n} frames")
    print()
    print(f"{'latency per request (median)':44} {'direct':>10} {'proxied':>10} {'added':>10} {'ratio':>7}")
    latency_cases = [
        ("sessions.list, 20 KB, translated", [CAPABILITY], "sessions.list", {}),
        ("sessions.list, 20 KB, passed through", [], "sessions.list", {}),
        ("small request, passed through", [], "test.echo", {"ping": 1}),
    ]
    for label, caps, method, params in latency_cases:
        d, p = await side_by_side(
            lambda url: round_trips(url, caps, method, params, per_block), direct, proxied
        )
        dm = statistics.median(t for block in d for t in block) * 1e6
        pm = statistics.median(t for block in p for t in block) * 1e6
        print(f"{label:44} {dm:8.0f}µs {pm:8.0f}µs {pm - dm:8.0f}µs {pm / dm:6.2f}x")
    print()
    print(f"{'frames per second (median of blocks)':44} {'direct':>10} {'proxied':>10} {'':>10} {'ratio':>7}")
    changed = fixture("sessions.changed.old.json")
    throughput_cases = [
        ("sessions.changed events, translated", [CAPABILITY], "sessions.changed", changed),
        ("sessions.changed events, passed through", [], "sessions.changed", changed),
        ("other events, passed through", [CAPABILITY], "agent", {"runId": "r", "status": "done", "text": "x" * 200}),
    ]
    for label, caps, event, payload in throughput_cases:
        d, p = await side_by_side(lambda url: burst(url, caps, event, payload, burst_n), direct, proxied)
        dm, pm = statistics.median(d), statistics.median(p)
        print(f"{label:44} {dm:10.0f} {pm:10.0f} {'':>10} {pm / dm:6.2f}x")
    for proc in (proxy, gateway):
        if proc is proxy:
            proc.send_signal(signal.SIGTERM)
        else:
            assert proc.stdin is not None
            proc.stdin.close()
        await asyncio.wait_for(proc.wait(), 10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1000, help="round trips per latency case (default 1000)")
    parser.add_argument("--burst", type=int, default=5000, help="frames per throughput block (default 5000)")
    parser.add_argument("--serve-gateway", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_gateway:
        asyncio.run(serve_gateway())
    else:
        try:
            asyncio.run(asyncio.wait_for(main(args.rounds, args.burst), DEADLINE_S))
        except asyncio.TimeoutError:
            raise SystemExit(f"benchmark stopped at its {DEADLINE_S:.0f} s limit")
