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
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "bench" / ".work" / "scan-corpus"
WHEELS = ("django==5.2.19", "sympy", "transformers", "pandas", "networkx", "ray", "openai")
GREP_PATTERN = "[\"'](done|failed|timeout|killed)[\"']"


def corpus() -> Path:
    """The shared tree, downloaded and unzipped once (into a temporary
    directory renamed into place, so a half-built tree is never used)."""
    tree = CORPUS / "tree"
    if tree.is_dir():
        return tree
    CORPUS.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix="scan-corpus.", dir=CORPUS.parent))
    wheels = building / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(wheels), *WHEELS],
                   check=True)
    for wheel in sorted(wheels.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(building / "tree" / wheel.name.split("-")[0].lower())
    # A [tool.migrator] table of its own: no outer configuration applies.
    (building / "tree" / "pyproject.toml").write_text("[tool.migrator]\n", encoding="utf-8")
    try:
        building.rename(CORPUS)
    except OSError:
        pass  # built meanwhile by another run: use that one
    return tree


def timed(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return elapsed


def best(runs: list[float]) -> float:
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="A tree to scan instead of the shared corpus.")
    parser.add_argument("--repeat", type=int, default=5, help="Runs per measure; the best counts.")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    tree = (args.corpus or corpus()).resolve()
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
    g, w = best(grep), best(warm)
    print(f"corpus: {tree.name} ({summary['files_scanned']:,} files scanned, {summary['files_parsed']:,} "
          f"candidates), -j {args.jobs}, best of {args.repeat}")
    print(f"  grep -rlE (floor)            {g:6.2f} s")
    print(f"  migrator scan, warm          {w:6.2f} s")
    ratio = w / g
    print(f"  warm vs grep: {ratio:4.1f}x (goal within 3x) {'ok' if ratio <= 3 else 'MISSED'}")


if __name__ == "__main__":
    main()
