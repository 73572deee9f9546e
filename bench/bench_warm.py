"""Warm `migrator scan` of an unchanged tree against `grep`, side by side.

    python bench/bench_warm.py [--corpus DIR] [--repeat N] [--jobs N]

The corpus is bench/.work/scan-corpus/tree: the wheels of Django 5.2.19,
sympy, transformers, pandas, networkx, ray and openai (``pip download
--no-deps``, unzipped; built on the first run if no other benchmark has built
it, and never deleted: other benchmarks share it). Printed, each the best of
--repeat runs taken in turn:

- ``grep -rlE`` of the old names in quotes over the tree: the floor;
- ``migrator scan -j N`` of the same tree, warm (the content cache and the
  stat index filled by one run before, nothing changed since): every file
  answered from its stat data, none opened;

and the ratio (the goal: within 3x of grep). Wall clock of whole commands,
interpreter start included, on whatever else the machine is doing: compare
the ratio within one run, not figures across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

# The shared tree, the grep floor and the timer are bench_scan's (one home each).
from bench_scan import GREP_PATTERN, large_corpus, timed  # noqa: E402  (a sibling script)

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="A tree to scan instead of the shared corpus.")
    parser.add_argument("--repeat", type=int, default=5, help="Runs per measure; the best counts.")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    tree = (args.corpus or large_corpus()).resolve()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CI", None)
    scan = [sys.executable, "-m", "migrator", "scan", "-j", str(args.jobs), "--format", "json"]
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        # Fills the content cache and the stat index (cold if they are empty).
        timed([*scan, "-o", str(report), "."], cwd=tree, env=env)
        summary = json.loads(report.read_text("utf-8"))["summary"]
    grep: list[float] = []
    warm: list[float] = []
    for _ in range(args.repeat):  # in turn, so both see the same machine
        grep.append(timed(["grep", "-rlE", GREP_PATTERN, "."], cwd=tree))
        warm.append(timed([*scan, "-o", os.devnull, "."], cwd=tree, env=env))
    g, w = min(grep), min(warm)
    print(f"corpus: {tree.name} ({summary['files_scanned']:,} files scanned, {summary['files_parsed']:,} "
          f"candidates), -j {args.jobs}, best of {args.repeat}")
    print(f"  grep -rlE (floor)            {g:6.2f} s")
    print(f"  migrator scan, warm          {w:6.2f} s")
    ratio = w / g
    print(f"  warm vs grep: {ratio:4.1f}x (goal within 3x) {'ok' if ratio <= 3 else 'MISSED'}")


if __name__ == "__main__":
    main()
