"""What the compatibility proxy costs: latency added per request and frames per
second, against a direct connection to the same gateway, measured side by side.

    python bench/bench_proxy.py [--rounds N] [--burst N]
    python bench/bench_proxy.py --real [--rounds N]

Three processes on loopback: the test gateway (an old 2026.9.6 one), the proxy
(`python -m migrator.compat`), and this client. Direct and proxied runs are
interleaved in blocks so drift on the machine hits both alike. Everything is
bounded in count and in time.

With --real, the gateway is a real `openclaw gateway run` of 2026.9.6 (see
bench/real_gateway.py), and a naive relay (websockets recv/send, no parsing)
runs beside the proxy as the baseline a relay in Python costs: the median
`sessions.list` round trip of a client with session-status-v2. The same relay
on uvloop (the proxy's own loop), the byte relay below and a byte relay of
protocols on uvloop run beside them, to tell what the loop costs from what
WebSocket code costs. (Frames per
second are measured with the test gateway: the real one cannot be made to push
events faster than it computes them.)

Frames per second have their own baseline, run in turn with each pair: a byte
relay (a thread per direction copying bytes between two sockets, nothing
parsed), and the same copying done by protocols on uvloop: the least any relay
in Python can cost; on a machine with two cores a third process in the path
costs frames per second whatever it does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from gatewaylib import CAPABILITY, OLD_VERSION, Client, TestGateway, fixture  # noqa: E402

DEADLINE_S = 300.0  # the whole run stops here, finished or not
BLOCKS = 5  # direct/proxied alternations per measurement
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}



async def _stop(proc: asyncio.subprocess.Process, signalled: bool = False) -> None:
    """End a child and wait for it: the proxy by SIGTERM, a relay or a
    gateway by closing its standard input."""
    if signalled:
        proc.send_signal(signal.SIGTERM)
    else:
        assert proc.stdin is not None
        proc.stdin.close()
    await asyncio.wait_for(proc.wait(), 10)

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


async def naive_relay(upstream: str) -> None:
    """Child mode: the simplest relay in Python, as the baseline: every message
    received is sent on, nothing parsed, until stdin closes."""
    from websockets.asyncio.client import connect
    from websockets.asyncio.server import ServerConnection, serve

    async def pump(source: Any, target: Any) -> None:
        async for message in source:
            await target.send(message)

    async def handle(client: ServerConnection) -> None:
        async with connect(upstream, max_size=None, compression=None, ping_interval=None, proxy=None) as up:
            tasks = [asyncio.create_task(pump(client, up)), asyncio.create_task(pump(up, client))]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()

    async with serve(handle, "127.0.0.1", 0, max_size=None, compression=None, ping_interval=None) as server:
        print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", file=sys.stderr, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def byte_relay(upstream_port: int) -> None:
    """Child mode: the floor of any relay in Python, as the throughput
    baseline: bytes copied between two sockets by a thread per direction,
    nothing parsed, no event loop, until stdin closes."""
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))
    print(f"listening on 127.0.0.1:{server.getsockname()[1]}", file=sys.stderr, flush=True)

    def pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(1 << 18):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def accept() -> None:
        while True:
            client, _ = server.accept()
            upstream = socket.create_connection(("127.0.0.1", upstream_port))
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pump, args=(upstream, client), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    sys.stdin.read()


async def loop_byte_relay(upstream_port: int) -> None:
    """Child mode: bytes copied between two sockets by protocols on the
    proxy's own loop (uvloop), nothing parsed, until stdin closes: what the
    loop costs a relay, apart from any WebSocket code."""
    loop = asyncio.get_running_loop()

    class Pipe(asyncio.Protocol):
        peer: "Pipe | None" = None
        early = b""  # read before the other socket was connected

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport: Any = transport

        def data_received(self, data: bytes) -> None:
            if self.peer is None:
                self.early += data
            else:
                self.peer.transport.write(data)

        def connection_lost(self, exc: Exception | None) -> None:
            if self.peer is not None:
                self.peer.transport.close()

    class Front(Pipe):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            loop.create_task(self.link())

        async def link(self) -> None:
            _, back = await loop.create_connection(Pipe, "127.0.0.1", upstream_port)
            back.peer, self.peer = self, back
            for source, target in ((self, back), (back, self)):
                if source.early:
                    target.transport.write(source.early)

    server = await loop.create_server(Front, "127.0.0.1", 0)
    print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", file=sys.stderr, flush=True)
    await loop.run_in_executor(None, sys.stdin.read)


async def real_round_trips(urls: dict[str, str], n: int) -> dict[str, list[float]]:
    """Seconds per sessions.list round trip of a v2 client on each of ``urls``,
    taken in turn request by request (so drift on the machine hits all alike)."""
    import real_gateway as rg

    conns = {label: (await rg.session(url, [CAPABILITY]))[0] for label, url in urls.items()}
    times: dict[str, list[float]] = {label: [] for label in urls}
    try:
        for i in range(n + 5):
            for label, ws in conns.items():
                start = time.perf_counter()
                await rg.request(ws, "sessions.list", {})
                if i >= 5:  # warm-up
                    times[label].append(time.perf_counter() - start)
    finally:
        for ws in conns.values():
            await ws.close()
    return times


async def main_real(rounds: int) -> int:
    import real_gateway as rg

    bin_dir, cli = rg.install()
    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as name:
        tmp = Path(name)
        state = tmp / "state"
        shutil.copytree(ROOT / "fixtures" / "state", state)
        subprocess.run([str(bin_dir / "node"), str(cli), "doctor", "--fix", "--non-interactive"],
                       env=rg.oc_env(bin_dir, state), capture_output=True, timeout=300, check=False)
        gateway, port = rg.start_gateway(bin_dir, cli, state, tmp / "gateway.log")
        try:
            if port is None:
                print(f"the real gateway did not start (see {tmp / 'gateway.log'})")
                return 1
            upstream = f"ws://127.0.0.1:{port}"
            relay, relay_port = await spawn([__file__, "--naive-relay", upstream], r"127\.0\.0\.1:(\d+)", "stderr")
            # The same relay on the proxy's own loop: what the loop alone gives.
            uv_relay, uv_relay_port = await spawn([__file__, "--naive-relay", upstream, "--uvloop"],
                                                  r"127\.0\.0\.1:(\d+)", "stderr")
            byte, byte_port = await spawn([__file__, "--byte-relay", str(port)], r"127\.0\.0\.1:(\d+)", "stderr")
            loop_byte, loop_byte_port = await spawn([__file__, "--loop-byte-relay", str(port)],
                                                    r"127\.0\.0\.1:(\d+)", "stderr")
            proxy, proxy_port = await spawn(["-m", "migrator", "gateway", "--listen", "127.0.0.1:0", "--upstream", upstream,
                                             "--stats"], r"listening on 127\.0\.0\.1:(\d+)", "stderr")
            urls = {"direct": upstream, "byte relay": f"ws://127.0.0.1:{byte_port}",
                    "byte relay, uvloop": f"ws://127.0.0.1:{loop_byte_port}",
                    "naive relay": f"ws://127.0.0.1:{relay_port}",
                    "naive relay, uvloop": f"ws://127.0.0.1:{uv_relay_port}",
                    "migrator gateway": f"ws://127.0.0.1:{proxy_port}"}
            for _ in range(30):  # restart recovery settles the rows after `ready`
                if "running" not in await _statuses(upstream):
                    break
                await asyncio.sleep(1)
            # CPU per round trip of each relay process, after a warm-up (its
            # first connection imports and builds what it needs): steadier
            # than the round trips on a busy machine.
            relays = {"byte relay": byte, "byte relay, uvloop": loop_byte, "naive relay": relay, "naive relay, uvloop": uv_relay, "migrator gateway": proxy}
            await real_round_trips(urls, 20)
            before = {label: _cpu_seconds(child.pid) for label, child in relays.items()}
            times = await real_round_trips(urls, rounds)
            cpu = {label: (_cpu_seconds(child.pid) - before[label]) / (rounds + 5) * 1e6
                   for label, child in relays.items()}
            medians = {k: statistics.median(v) * 1e6 for k, v in times.items()}
            print(f"real openclaw 2026.9.6 on loopback; {rounds} sessions.list round trips each, taken in turn "
                  f"(client with {CAPABILITY})")
            for label, m in medians.items():
                spent = f"  {cpu[label]:5.0f}µs CPU per round trip" if label in cpu else ""
                print(f"  {label:20} median {m:8.0f}µs  {m / medians['direct']:5.2f}x direct{spent}")
            print(f"ROW proxy sessions.list round trip: {medians['migrator gateway'] / medians['direct']:.2f}x direct "
                  f"(naive relay {medians['naive relay'] / medians['direct']:.2f}x; goal at most 1.25x and less than the relay)")
            await _stop(proxy, signalled=True)
            for child in (relay, uv_relay, byte, loop_byte):
                await _stop(child)
        finally:
            rg.stop(gateway)
    return 0


async def _statuses(url: str) -> list[Any]:
    import real_gateway as rg

    ws, _ = await rg.session(url, [])
    try:
        return [r.get("status") for r in (await rg.request(ws, "sessions.list", {}))[1]["payload"]["sessions"]]
    finally:
        await ws.close()


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a running process (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def main(rounds: int, burst_n: int, pairs: int) -> None:
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
    # Each proxied burst is paired with the direct one taken just before it:
    # the ratio is the median of the pairs, the spread their lowest and
    # highest; the proxy's own CPU per frame is read from /proc (Linux), a
    # figure the machine's other load moves far less than frames per second.
    relay, relay_port = await spawn([__file__, "--byte-relay", str(gw_port)], r"127\.0\.0\.1:(\d+)", "stderr")
    relayed = f"ws://127.0.0.1:{relay_port}"
    loop_relay, loop_relay_port = await spawn([__file__, "--loop-byte-relay", str(gw_port)], r"127\.0\.0\.1:(\d+)",
                                              "stderr")
    loop_relayed = f"ws://127.0.0.1:{loop_relay_port}"
    print(f"{'frames per second (median of runs)':44} {'direct':>10} {'proxied':>10} {'ratio':>7}  "
          f"{'spread':>11}  {'byte relay':>10}  {'on uvloop':>9}  proxy cpu/frame")
    changed = fixture("sessions.changed.old.json")
    # The same frame while its sessions run: most frames of a busy gateway,
    # with no name to rename, told apart by their bytes.
    running = json.loads(re.sub(r'"status": ?"(?:done|failed|timeout|killed)"', '"status":"running"', json.dumps(changed)))
    throughput_cases = [
        ("sessions.changed events, translated", [CAPABILITY], "sessions.changed", changed),
        ("sessions.changed events, running sessions", [CAPABILITY], "sessions.changed", running),
        ("sessions.changed events, passed through", [], "sessions.changed", changed),
        ("other events, passed through", [CAPABILITY], "agent", {"runId": "r", "status": "done", "text": "x" * 200}),
    ]
    for label, caps, event, payload in throughput_cases:
        d, p, r, u, cpu = [], [], [], [], []
        for _ in range(pairs):
            d.append(await burst(direct, caps, event, payload, burst_n))
            before = _cpu_seconds(proxy.pid)
            p.append(await burst(proxied, caps, event, payload, burst_n))
            cpu.append((_cpu_seconds(proxy.pid) - before) / burst_n)
            r.append(await burst(relayed, caps, event, payload, burst_n))
            u.append(await burst(loop_relayed, caps, event, payload, burst_n))
        ratios = sorted(b / a for a, b in zip(d, p))
        relay_ratio = statistics.median(b / a for a, b in zip(d, r))
        loop_ratio = statistics.median(b / a for a, b in zip(d, u))
        print(f"{label:44} {statistics.median(d):10.0f} {statistics.median(p):10.0f} {statistics.median(ratios):6.2f}x  "
              f"{ratios[0]:4.2f}-{ratios[-1]:4.2f}x  {relay_ratio:9.2f}x  {loop_ratio:8.2f}x  "
              f"{statistics.median(cpu) * 1e6:5.1f}µs")
    print(f"ROW proxy events: median of {pairs} runs per case above (the byte relay: bytes copied by threads, the floor "
          f"of a relay in Python); goal at least 0.9x direct")
    await _stop(relay)
    await _stop(loop_relay)
    await _stop(proxy, signalled=True)
    await _stop(gateway)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1000, help="round trips per latency case (default 1000)")
    parser.add_argument("--burst", type=int, default=5000, help="frames per throughput block (default 5000)")
    parser.add_argument("--pairs", type=int, default=9, help="direct/proxied burst pairs per throughput case (default 9)")
    parser.add_argument("--real", action="store_true", help="measure in front of a real openclaw 2026.9.6 gateway")
    parser.add_argument("--serve-gateway", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--naive-relay", metavar="UPSTREAM", help=argparse.SUPPRESS)
    parser.add_argument("--uvloop", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--byte-relay", metavar="PORT", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--loop-byte-relay", metavar="PORT", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_gateway:
        asyncio.run(serve_gateway())
    elif args.byte_relay:
        byte_relay(args.byte_relay)
    elif args.loop_byte_relay:
        from migrator.compat.proxy import event_loop_factory

        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(loop_byte_relay(args.loop_byte_relay))
    elif args.naive_relay:
        from migrator.compat.proxy import event_loop_factory

        with asyncio.Runner(loop_factory=event_loop_factory() if args.uvloop else None) as runner:
            runner.run(naive_relay(args.naive_relay))
    elif args.real:
        sys.exit(asyncio.run(asyncio.wait_for(main_real(args.rounds if args.rounds != 1000 else 300), 4 * DEADLINE_S)))
    else:
        try:
            asyncio.run(asyncio.wait_for(main(args.rounds, args.burst, args.pairs), DEADLINE_S))
        except asyncio.TimeoutError:
            raise SystemExit(f"benchmark stopped at its {DEADLINE_S:.0f} s limit")
