"""Data benchmark (a plain script): JSONL throughput against jq doing the same
rename on the same file, and a 1,000,000-row OpenClaw database migrated.

    python bench/bench_data.py [--mb 64] [--rows 1000000]

Prints figures measured side by side in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from migrator import jsonlines  # noqa: E402
from migrator.config import load_options  # noqa: E402
from migrator.manifest import load_manifest  # noqa: E402
from migrator.pipeline import run  # noqa: E402
from migrator.pointers import PointerPattern  # noqa: E402
from migrator.write import write  # noqa: E402

VOCAB = load_manifest().vocabulary
WORDS = [*VOCAB.old_to_new, *VOCAB.unchanged]


def make_jsonl(path: Path, megabytes: int) -> int:
    rng = random.Random(7)
    target = megabytes * 1024 * 1024
    size = 0
    with open(path, "w", encoding="utf-8") as handle:
        n = 0
        while size < target:
            row = {"key": f"agent:main:subagent:{n:08d}", "status": rng.choice(WORDS), "startedAt": 1795484481000 + n,
                   "runtimeMs": rng.randint(0, 10**6), "label": "summarize repo " * rng.randint(0, 4),
                   "acp": {"state": "running"}, "abortedLastRun": False}
            line = json.dumps(row, separators=(",", ":")) + "\n"
            handle.write(line)
            size += len(line)
            n += 1
    return size


def bench_jsonl(megabytes: int, tmp: Path) -> None:
    source = tmp / "sessions.jsonl"
    size = make_jsonl(source, megabytes)
    patterns = [PointerPattern.parse("/status")]
    start = time.perf_counter()
    with open(source, "rb") as src, open(tmp / "ours.jsonl", "wb") as dst:
        stats = jsonlines.stream(src, patterns, VOCAB.old_to_new, dst)
    ours = time.perf_counter() - start
    cases = " | ".join(f'if .status == "{o}" then .status = "{n}"' for o, n in VOCAB.old_to_new.items())
    program = " ".join(f'{"el" if i else ""}if .status == "{o}" then .status = "{n}"'
                       for i, (o, n) in enumerate(VOCAB.old_to_new.items())) + " else . end"
    del cases
    jq = shutil.which("jq")
    if jq is None:
        print(f"JSONL: {size / 2**20:.0f} MB in {ours:.2f} s = {size / 2**20 / ours:.0f} MB/s (jq not found)")
        return
    start = time.perf_counter()
    with open(source, "rb") as src, open(tmp / "jq.jsonl", "wb") as dst:
        subprocess.run([jq, "-c", program], stdin=src, stdout=dst, check=True)
    theirs = time.perf_counter() - start
    print(f"JSONL {size / 2**20:.0f} MB, {stats.lines} lines, {stats.changed_lines} changed:")
    print(f"  migrator {ours:6.2f} s  {size / 2**20 / ours:7.1f} MB/s (bytes of untouched lines identical)")
    print(f"  jq       {theirs:6.2f} s  {size / 2**20 / theirs:7.1f} MB/s (re-serialises every line)")
    print(f"  ratio    {theirs / ours:.1f}x jq")


def make_db(path: Path, rows: int) -> None:
    conn = sqlite3.connect(path)
    conn.executescript((REPO / "fixtures" / "data" / "openclaw-agent.sql").read_text("utf-8"))
    rng = random.Random(11)

    def generate():  # type: ignore[no-untyped-def]
        for n in range(rows):
            status = rng.choice(WORDS)
            key = f"agent:main:subagent:{n:08d}"
            entry = json.dumps({"sessionId": f"{n:032x}", "updatedAt": 1795484481000 + n, "status": status,
                                "label": "bench", "abortedLastRun": False}, separators=(",", ":"))
            yield key, f"{n:032x}", None, "bench", status, 1795484481000 + n, entry

    conn.executemany("INSERT INTO session_nodes VALUES (?,?,?,?,?,?,?)", generate())
    conn.commit()
    conn.close()


def bench_sqlite(rows: int, tmp: Path) -> None:
    state = tmp / "state"
    db = state / "agents" / "main" / "agent" / "openclaw-agent.sqlite"
    db.parent.mkdir(parents=True)
    (state / "openclaw.json").write_text('{meta: {lastTouchedVersion: "2027.1.0"}}\n')
    start = time.perf_counter()
    make_db(db, rows)
    built = time.perf_counter() - start
    options = load_options([str(state)], cwd=tmp)
    start = time.perf_counter()
    result = run(options)
    planned = time.perf_counter() - start
    start = time.perf_counter()
    outcome = write(result)
    applied = time.perf_counter() - start
    assert outcome.written and not outcome.failed, outcome
    conn = sqlite3.connect(db)
    left = conn.execute("SELECT count(*) FROM session_nodes WHERE status IN ('done','failed','killed','timeout')")
    assert left.fetchone()[0] == 0
    conn.close()
    print(f"SQLite {rows:,} session rows ({db.stat().st_size / 2**20:.0f} MB, built in {built:.1f} s):")
    print(f"  scan {planned:.1f} s + apply --write {applied:.1f} s (backup, rebuild, checks) "
          f"= {planned + applied:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=64, help="size of the JSONL file")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the SQLite store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        os.chdir(tmp)
        bench_jsonl(args.mb, tmp)
        bench_sqlite(args.rows, tmp)


if __name__ == "__main__":
    main()
