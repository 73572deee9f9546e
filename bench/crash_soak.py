"""Crash soak: SIGKILL ``apply --write`` at random moments, then check.

A state dir of several ``sessions.json`` stores plus a real OpenClaw 2026.9.6
agent database (fixtures/data/openclaw-agent-2026.9.6.sql) is migrated with
``apply STATE --write --phase contract --gateway-version 2027.1.0``; each try
waits until the run has named a random number of written files and kills it
within the next one (or, after none, anywhere before the first write ends).
After every kill:

- every file is byte for byte its original or its fully migrated version
  (the database: its content, and SQLite's own integrity check);
- a re-run completes the migration;
- ``rollback`` (repeated: each steps back one run) restores the originals
  (the database: its content; its bytes when rollback says ``restored``),
  and no temp file is left beside its target.

    python bench/crash_soak.py                       # 6 stores x 40,000 sessions, 30 kills
    python bench/crash_soak.py --stores 2 --sessions 2000 --kills 5

The test suite runs a small version (tests/write/test_rollback_crash.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parent.parent
REAL_SQL = REPO / "fixtures" / "data" / "openclaw-agent-2026.9.6.sql"
DB_REL = "agents/main/agent/openclaw-agent.sqlite"
APPLY = ("--write", "--phase", "contract", "--gateway-version", "2027.1.0")
sys.path.insert(0, str(REPO))
from migrator.sqlitedb import connect  # noqa: E402  (this checkout's)

STATUSES = ("running", "done", "failed", "killed", "timeout", "running", "done")


def build_state(root: Path, stores: int, sessions: int, seed: int = 7) -> Path:
    """An OpenClaw state dir: ``stores`` sessions.json files of ``sessions``
    entries each, an openclaw.json last written by 2026.9.6, and the real
    2026.9.6 agent database."""
    rng = random.Random(seed)
    state = root / "state"
    state.mkdir(parents=True)
    (state / "openclaw.json").write_text('{\n  meta: { lastTouchedVersion: "2026.9.6" },\n}\n', "utf-8")
    for i in range(stores):
        entries = {}
        for n in range(sessions):
            entries[f"agent:a{i}:subagent:{n:08x}"] = {
                "sessionId": f"{i:04x}{n:08x}-0000-4000-8000-000000000000",
                "updatedAt": 1795485081000 + n,
                "chatType": "direct",
                "status": rng.choice(STATUSES),
                "label": f"task {n}: done when the tests pass",
                "inputTokens": rng.randrange(10_000),
            }
        folder = state / "agents" / f"a{i}" / "sessions"
        folder.mkdir(parents=True)
        (folder / "sessions.json").write_text(json.dumps(entries, indent=2) + "\n", "utf-8")
    db = state / DB_REL
    db.parent.mkdir(parents=True)
    conn = connect(db)  # the real schema's CHECKs call octet_length()
    conn.executescript(REAL_SQL.read_text("utf-8"))
    conn.close()
    return state


def snapshot(state: Path) -> dict[str, bytes]:
    """Every user file of the state dir (not the journal, not the database,
    not a temp file a kill left beside its target)."""
    out = {}
    for path in sorted(state.rglob("*")):
        rel = path.relative_to(state).as_posix()
        if (not path.is_file() or ".migrator" in path.parts or rel.startswith(DB_REL)
                or ".migrator-" in path.name):
            continue
        out[rel] = path.read_bytes()
    return out


def db_content(path: Path) -> list[str]:
    """The database as SQL, after SQLite's own integrity check (and the
    recovery of a hot journal a kill left)."""
    conn = connect(path)
    try:
        status = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if status != "ok":
            raise AssertionError(f"database integrity: {status}")
        # Sorted: a content restore may list indexes and triggers in another order.
        return sorted([*conn.iterdump(), f"user_version={conn.execute('PRAGMA user_version').fetchone()[0]}"])
    finally:
        conn.close()


def cli(*args: str, cwd: Path, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CI", None)
    return subprocess.run([sys.executable, "-m", "migrator", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


@dataclass
class Reference:
    old: dict[str, bytes]
    new: dict[str, bytes]
    old_db: list[str]
    new_db: list[str]
    old_db_bytes: bytes
    seconds: float
    #: When the first file was written: kills aim at the write, not the analysis.
    first_write: float


def reference(pristine: Path, work: Path) -> Reference:
    """The originals, the fully migrated files, and how long a run takes."""
    state = work / "state"
    shutil.copytree(pristine, state)
    old, old_db, old_db_bytes = snapshot(state), db_content(state / DB_REL), (state / DB_REL).read_bytes()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "migrator", "apply", "state", *APPLY], cwd=work, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    first_write, tail = 0.0, []
    for line in proc.stderr:  # each file is named as it is written
        if line.startswith("rewrote ") and not first_write:
            first_write = time.perf_counter() - start
        tail.append(line)
    code = proc.wait()
    seconds = time.perf_counter() - start
    if code != 0:
        raise AssertionError(f"the reference run failed ({code}): {''.join(tail[-20:])}")
    return Reference(old, snapshot(state), old_db, db_content(state / DB_REL), old_db_bytes, seconds, first_write)


def check_old_or_new(state: Path, ref: Reference) -> tuple[int, int]:
    """Every file old or new; returns how many are new, and of how many."""
    now = snapshot(state)
    if set(now) != set(ref.old):
        raise AssertionError(f"files appeared or vanished: {sorted(set(now) ^ set(ref.old))}")
    migrated = 0
    for rel, data in now.items():
        if data == ref.new[rel] and data != ref.old[rel]:
            migrated += 1
        elif data != ref.old[rel]:
            raise AssertionError(f"{rel} is neither the original nor the migrated version")
    content = db_content(state / DB_REL)
    if content not in (ref.old_db, ref.new_db):
        raise AssertionError("the database is neither the original nor the migrated version")
    changed = sum(ref.new[rel] != ref.old[rel] for rel in now) + 1
    return migrated + (content == ref.new_db and ref.new_db != ref.old_db), changed


def kill_once(pristine: Path, work: Path, ref: Reference, after: int, delay: float, rerun_first: bool) -> str:
    """One try: start, wait until ``after`` files are written (the run
    names each), SIGKILL ``delay`` seconds later, check, recover."""
    state = work / "state"
    shutil.copytree(pristine, state)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "migrator", "apply", "state", *APPLY], cwd=work, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    seen = 0
    while seen < after:
        line = proc.stderr.readline()
        if not line:
            break  # the run ended first
        seen += line.startswith("rewrote ")
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.stderr.close()
    code = proc.wait()
    migrated, total = check_old_or_new(state, ref)
    if rerun_first:
        again = cli("apply", "state", *APPLY, cwd=work)
        if again.returncode != 0:
            raise AssertionError(f"re-run after the kill failed ({again.returncode}): {again.stderr[-2000:]}")
        if check_old_or_new(state, ref)[0] != total:
            raise AssertionError("the re-run did not complete the migration")
    said = ""
    for _ in range(4):  # each rollback steps back one run: the re-run's, then the killed one's
        back = cli("rollback", "state", cwd=work)
        if back.returncode == 2 and "nothing to roll back" in back.stderr:
            break
        if back.returncode != 0:
            raise AssertionError(f"rollback failed ({back.returncode}): {back.stderr[-2000:]}")
        said += back.stderr
    if check_old_or_new(state, ref)[0] != 0:
        raise AssertionError("rollback did not restore every original")
    left = [p.name for p in state.rglob("*.migrator-*.tmp") if ".migrator" not in p.parts]
    if left and said:
        raise AssertionError(f"temp files left beside their targets: {left}")
    db_bytes = (state / DB_REL).read_bytes() == ref.old_db_bytes
    if f"restored: state/{DB_REL}\n" in said and not db_bytes:
        raise AssertionError("rollback said the database was restored byte for byte, and it was not")
    outcome = "finished" if code == 0 else f"killed with {migrated}/{total} migrated"
    return f"{outcome}; rollback restores the database {'bytes' if db_bytes else 'content'}"


def soak(root: Path, stores: int, sessions: int, kills: int, seed: int = 1) -> Iterator[str]:
    """Build, measure a reference run, then kill ``kills`` runs at random
    moments; yields a line per step as it is done."""
    pristine = build_state(root / "pristine", stores, sessions)
    ref = reference(pristine, root / "ref")
    rng = random.Random(seed)
    yield (f"reference run: {ref.seconds:.2f} s over {len(ref.old)} files and the database, "
           f"first file written at {ref.first_write:.2f} s")
    files = sum(ref.new[rel] != ref.old[rel] for rel in ref.old) + 1
    per_file = max(ref.seconds - ref.first_write, 0.01) / files
    for k in range(kills):
        # After a random number of files is written, within the next one; or
        # (after none) anywhere from the start to the end of the first write.
        after = rng.randrange(files)
        delay = rng.uniform(0.0, ref.first_write + per_file) if after == 0 else rng.uniform(0.0, 1.5 * per_file)
        work = root / f"kill{k}"
        work.mkdir()
        outcome = kill_once(pristine, work, ref, after, delay, k % 2 == 0)
        yield f"kill {k + 1}, {delay:.2f} s after {after} files written: {outcome}"
        shutil.rmtree(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=6)
    parser.add_argument("--sessions", type=int, default=40_000)
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / ".work" / "crash_soak")
    args = parser.parse_args()
    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    try:
        for line in soak(args.work, args.stores, args.sessions, args.kills, args.seed):
            print(line, flush=True)
    except AssertionError as exc:
        print(f"FAIL: {exc}", flush=True)
        sys.exit(1)
    print("PASS: every file old or new after every kill; re-runs complete, rollbacks restore")


if __name__ == "__main__":
    main()
