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
  (the database byte for byte too),
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
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parent.parent
REAL_SQL = REPO / "fixtures" / "data" / "openclaw-agent-2026.9.6.sql"
DB_REL = "agents/main/agent/openclaw-agent.sqlite"
APPLY = ("--write", "--phase", "contract", "--gateway-version", "2027.1.0")
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from bench_data import _vm_hwm  # noqa: E402
from migrator.sqlitedb import connect  # noqa: E402  (this checkout's)

#: One store is private, as a user may keep it: its mode must survive both ways.
PRIVATE_STORE = "agents/a0/sessions/sessions.json"

STATUSES = ("running", "done", "failed", "killed", "timeout", "running", "done")


def build_state(root: Path, stores: int, sessions: int, seed: int = 7, wal: bool = True) -> Path:
    """An OpenClaw state dir: ``stores`` sessions.json files of ``sessions``
    entries each, an openclaw.json last written by 2026.9.6, and the real
    2026.9.6 agent database, in write-ahead-log mode as the gateway leaves
    it (``wal``; else SQLite's default rollback journal)."""
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
                "outputTokens": rng.randrange(10_000),
                "modelProvider": "openai",
                "model": "gpt-5",
            }
        folder = state / "agents" / f"a{i}" / "sessions"
        folder.mkdir(parents=True)
        (folder / "sessions.json").write_text(json.dumps(entries, indent=2) + "\n", "utf-8")
    os.chmod(state / PRIVATE_STORE, 0o600)
    db = state / DB_REL
    db.parent.mkdir(parents=True)
    conn = connect(db)  # the real schema's CHECKs call octet_length()
    conn.executescript(REAL_SQL.read_text("utf-8"))
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")  # kept in the file's header; the log goes at close
    conn.close()
    return state


def snapshot(state: Path) -> dict[str, tuple[int, bytes]]:
    """Every user file of the state dir with its mode and bytes (not the
    journal, not the database, not a temp file a kill left beside its
    target)."""
    out = {}
    for path in sorted(state.rglob("*")):
        rel = path.relative_to(state).as_posix()
        if (not path.is_file() or ".migrator" in path.parts or rel.startswith(DB_REL)
                or ".migrator-" in path.name):
            continue
        out[rel] = (path.stat().st_mode & 0o7777, path.read_bytes())
    return out


def _tree_pss(pid: int) -> int:
    """The proportional set size (KiB) of a process and all its descendants
    (the pool's forked workers share pages with it: PSS counts each once)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup", encoding="ascii") as rollup:
                total += next((int(line.split()[1]) for line in rollup if line.startswith("Pss:")), 0)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    todo += [int(child) for child in children.read().split()]
        except (OSError, ValueError):
            continue  # it ended meanwhile
    return total


def temps(state: Path) -> list[str]:
    """Temp files a killed write left: beside a target or in the journal."""
    return sorted(p.relative_to(state).as_posix() for p in state.rglob("*.migrator-*.tmp"))


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
class Apply:
    """One ``apply`` as it ran: its exit code (-9: killed), wall time, peak
    resident memory (of the process, and sampled over it and its workers),
    when it named its first written file, and its stderr."""

    code: int
    seconds: float
    peak_kib: int
    tree_kib: int
    first_write: float
    stderr: str


def apply(cwd: Path, kill_after: int | None = None, delay: float = 0.0) -> Apply:
    """``apply state`` with the soak's options. With ``kill_after``: wait
    until the run has named that many written files (it names each as it is
    written), then SIGKILL it ``delay`` seconds later."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CI", None)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "migrator", "apply", "state", *APPLY], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    # VmHWM from /proc while it runs: ru_maxrss would count the copy of
    # this process (which holds every file twice) it was forked from.
    peak, tree = [0], [0]
    ended = threading.Event()

    def watch() -> None:
        while not ended.wait(0.05):
            peak[0] = max(peak[0], _vm_hwm(proc.pid))
            tree[0] = max(tree[0], _tree_pss(proc.pid))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    first_write, lines, seen = 0.0, [], 0
    while kill_after is None or seen < kill_after:
        line = proc.stderr.readline()
        if not line:
            break  # the run ended first
        if line.startswith("rewrote "):
            seen += 1
            first_write = first_write or time.perf_counter() - start
        lines.append(line)
    if kill_after is not None:
        time.sleep(delay)
        peak[0] = max(peak[0], _vm_hwm(proc.pid))
        proc.send_signal(signal.SIGKILL)
    proc.stderr.close()
    code = proc.wait()
    seconds = time.perf_counter() - start
    ended.set()
    watcher.join()
    return Apply(code, seconds, peak[0], tree[0], first_write, "".join(lines))


@dataclass
class Reference:
    old: dict[str, tuple[int, bytes]]
    new: dict[str, tuple[int, bytes]]
    old_db: list[str]
    new_db: list[str]
    old_db_bytes: bytes
    run: Apply
    wal: bool


def reference(pristine: Path, work: Path) -> Reference:
    """The originals, the fully migrated files, and how long a run takes."""
    state = work / "state"
    shutil.copytree(pristine, state)
    old, old_db, old_db_bytes = snapshot(state), db_content(state / DB_REL), (state / DB_REL).read_bytes()
    run = apply(work)
    if run.code != 0:
        raise AssertionError(f"the reference run failed ({run.code}): {run.stderr[-2000:]}")
    new = snapshot(state)
    if new[PRIVATE_STORE][0] != 0o600:
        raise AssertionError(f"the migrated {PRIVATE_STORE} lost its mode: {new[PRIVATE_STORE][0]:o}")
    wal = old_db_bytes[18:20] == b"\x02\x02"
    return Reference(old, new, old_db, db_content(state / DB_REL), old_db_bytes, run, wal)


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


@dataclass
class Tally:
    """What the kills saw, for the summary."""

    outcomes: Counter[str] = field(default_factory=Counter)
    #: Every complete apply: the reference run and the re-runs after a kill.
    applies: list[Apply] = field(default_factory=list)
    rollback_seconds: list[float] = field(default_factory=list)
    #: How rollback named the database each time it undid its change.
    db_said: Counter[str] = field(default_factory=Counter)


def kill_once(pristine: Path, work: Path, ref: Reference, after: int, delay: float, rerun_first: bool,
              tally: Tally) -> str:
    """One try: start, wait until ``after`` files are written (the run
    names each), SIGKILL ``delay`` seconds later, check, recover."""
    state = work / "state"
    shutil.copytree(pristine, state)
    killed = apply(work, kill_after=after, delay=delay)
    if killed.code not in (0, -signal.SIGKILL):
        raise AssertionError(f"the run failed before the kill ({killed.code}): {killed.stderr[-2000:]}")
    migrated, total = check_old_or_new(state, ref)
    if rerun_first:
        again = apply(work)
        if again.code != 0:
            raise AssertionError(f"re-run after the kill failed ({again.code}): {again.stderr[-2000:]}")
        tally.applies.append(again)
        if check_old_or_new(state, ref)[0] != total:
            raise AssertionError("the re-run did not complete the migration")
        if temps(state):
            raise AssertionError(f"the re-run left what the killed run left: {temps(state)}")
    said = ""
    for _ in range(4):  # each rollback steps back one run: the re-run's, then the killed one's
        start = time.perf_counter()
        back = cli("rollback", "state", cwd=work)
        if back.returncode == 2 and "nothing to roll back" in back.stderr:
            break
        tally.rollback_seconds.append(time.perf_counter() - start)
        if back.returncode != 0:
            raise AssertionError(f"rollback failed ({back.returncode}): {back.stderr[-2000:]}")
        said += back.stderr
    if check_old_or_new(state, ref)[0] != 0:
        raise AssertionError("rollback did not restore every original")
    if said and temps(state):
        raise AssertionError(f"temp files left after rollback: {temps(state)}")
    # Nothing wrote to the database after the run: README promises its
    # original bytes back, rollback saying ``restored`` (``already``: a run
    # killed before its COMMIT), in WAL mode too, where a run killed between
    # its COMMIT and the journal's record is recognised by its content digest.
    db_lines = [line.split(":", 1)[0] for line in said.splitlines()
                if line.split(": ", 1)[-1].startswith(f"state/{DB_REL}")]
    tally.db_said.update(db_lines)
    if set(db_lines) - {"restored", "already"}:
        raise AssertionError(f"rollback of a database nothing wrote to since: {said}")
    if (state / DB_REL).read_bytes() != ref.old_db_bytes:
        raise AssertionError("rollback did not give the database its original bytes back")
    outcome = "finished" if killed.code == 0 else f"killed with {migrated}/{total} migrated"
    tally.outcomes["finished before the kill" if killed.code == 0 else
                   "killed before any file was written" if migrated == 0 else
                   "killed with every file written" if migrated == total else "killed mid-write"] += 1
    database = "byte for byte"
    return (f"{outcome}{'; re-run completes' if rerun_first else ''}; rollback restores the originals, "
            f"the database {database} ({', '.join(db_lines) or 'untouched'})")


def soak(root: Path, stores: int, sessions: int, kills: int, seed: int = 1, wal: bool = True) -> Iterator[str]:
    """Build, measure a reference run, then kill ``kills`` runs at random
    moments; yields a line per step as it is done, then a summary."""
    pristine = build_state(root / "pristine", stores, sessions, wal=wal)
    size = sum(p.stat().st_size for p in pristine.rglob("*") if p.is_file())
    ref = reference(pristine, root / "ref")
    tally = Tally(applies=[ref.run])
    rng = random.Random(seed)
    yield (f"state dir: {stores} sessions.json stores of {sessions:,} sessions and the real 2026.9.6 database "
           f"({'WAL' if wal else 'rollback journal'}), "
           f"{size / 2**20:.0f} MB; reference run: {ref.run.seconds:.2f} s, first file written at "
           f"{ref.run.first_write:.2f} s, peak RSS {ref.run.peak_kib / 1024:.0f} MB (with its workers, sampled: "
           f"{ref.run.tree_kib / 1024:.0f} MB PSS)")
    files = sum(ref.new[rel] != ref.old[rel] for rel in ref.old) + 1
    per_file = max(ref.run.seconds - ref.run.first_write, 0.01) / files
    for k in range(kills):
        # After a random number of files is written, within the next one; or
        # (after none) anywhere from the start to the end of the first write.
        after = rng.randrange(files)
        delay = (rng.uniform(0.0, ref.run.first_write + per_file) if after == 0
                 else rng.uniform(0.0, 1.5 * per_file))
        work = root / f"kill{k}"
        work.mkdir()
        outcome = kill_once(pristine, work, ref, after, delay, k % 2 == 0, tally)
        yield f"kill {k + 1}, {delay:.2f} s after {after} files written: {outcome}"
        shutil.rmtree(work)
    seconds = [a.seconds for a in tally.applies]
    yield (f"{kills} kills: " + ", ".join(f"{n} {what}" for what, n in sorted(tally.outcomes.items())) +
           f"; complete applies: {len(seconds)}, {min(seconds):.2f}/{statistics.median(seconds):.2f}/"
           f"{max(seconds):.2f} s (min/median/max), peak RSS {max(a.peak_kib for a in tally.applies) / 1024:.0f} MB "
           f"(with its workers: {max(a.tree_kib for a in tally.applies) / 1024:.0f} MB PSS)"
           + (f"; rollbacks: {len(tally.rollback_seconds)}, median {statistics.median(tally.rollback_seconds):.2f} s"
              if tally.rollback_seconds else "")
           + f"; the database at rollback: {dict(tally.db_said) or 'never changed'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=6)
    parser.add_argument("--sessions", type=int, default=40_000)
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rollback-journal", action="store_true",
                        help="the database in SQLite's default journal mode, not WAL as the gateway leaves it")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / ".work" / "crash_soak")
    args = parser.parse_args()
    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    try:
        for line in soak(args.work, args.stores, args.sessions, args.kills, args.seed, not args.rollback_journal):
            print(line, flush=True)
    except AssertionError as exc:
        print(f"FAIL: {exc}", flush=True)
        sys.exit(1)
    print("PASS: every file old or new after every kill; re-runs complete, rollbacks restore (modes and the "
          "database's bytes included)")


if __name__ == "__main__":
    main()
