"""Benchmark `migrator scan` on a large real codebase, side by side in one run.

    python bench/bench_scan.py [--corpus DIR] [--repeat N] [--skip-libcst]

By default the corpus is Django's source, installed with pip into
bench/.work/ (the only download, and only on the first run). Printed, each
the best of --repeat runs, all with the same number of jobs:

- a plain `grep -r` for the old names in quotes: the floor;
- `migrator scan` cold (empty content cache) and warm (unchanged tree), and
  `migrator apply --check` cold;
- `python -m libcst.tool codemod` running the same codemod
  (codemods.session_status.SessionStatusCommand) as a dry run (-u);
- files scanned per second with and without the byte prefilter
  (MIGRATOR_NO_PREFILTER=1), both without the cache;

and the ratios the project aims for: cold at least 20x faster than the LibCST
CLI, warm at least 10x faster than cold. Timings are wall clock of whole
commands (interpreter start included), on whatever else the machine is doing:
compare ratios within one run, not figures across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / ".work"
DJANGO = "django==5.2.19"
COMMAND = "codemods.session_status.SessionStatusCommand"
# The same literals the codemod looks for, quoted, as a grep pattern.
GREP_PATTERN = "[\"'](done|failed|timeout|killed)[\"']"
# The LibCST CLI needs a config; formatting off so it only runs the codemod.
LIBCST_CONFIG = 'generated_code_marker: "@generated"\nformatter: []\nblacklist_patterns: []\nmodules: []\nrepo_root: "."\n'


def django_corpus() -> Path:
    """Django's source under bench/.work, installed through pip once."""
    target = WORK / DJANGO.replace("==", "-")
    if not (target / "django" / "__init__.py").is_file():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), DJANGO],
            check=True,
        )
    # A [tool.migrator] table of its own, so this repository's configuration
    # (which excludes bench/) does not apply to the corpus.
    (target / "pyproject.toml").write_text("[tool.migrator]\n", encoding="utf-8")
    return target / "django"


def timed(argv: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> float:
    """Wall-clock seconds of one command; its output is discarded."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return elapsed


def best(repeat: int, measure: Callable[[], float]) -> float:
    """The fastest of ``repeat`` runs: the least disturbed by other load."""
    return min(measure() for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="A tree to scan instead of Django's source.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per measure; the best counts.")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-libcst", action="store_true", help="Skip the (slow) LibCST CLI run.")
    args = parser.parse_args()

    corpus = (args.corpus or django_corpus()).resolve()
    root = corpus.parent
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CI", None)
    jobs = str(args.jobs)
    scan = [sys.executable, "-m", "migrator", "scan", "-j", jobs, "--format", "json"]
    cache = root / ".migrator" / "cache"

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        timed([*scan, "--no-cache", "-o", str(report), str(corpus)], cwd=root, env=env)
        summary = json.loads(report.read_text("utf-8"))["summary"]
        files, candidates = summary["files_scanned"], summary["files_parsed"]

        def cold() -> float:
            shutil.rmtree(cache, ignore_errors=True)
            return timed([*scan, "-o", os.devnull, str(corpus)], cwd=root, env=env)

        def warm() -> float:
            return timed([*scan, "-o", os.devnull, str(corpus)], cwd=root, env=env)

        grep = best(args.repeat, lambda: timed(
            ["grep", "-rnE", "--include=*.py", GREP_PATTERN, str(corpus)], cwd=root))
        t_cold = best(args.repeat, cold)

        def apply_cold() -> float:
            shutil.rmtree(cache, ignore_errors=True)
            return timed([sys.executable, "-m", "migrator", "apply", "--check", "-j", jobs, str(corpus)], cwd=root, env=env)

        t_apply = best(args.repeat, apply_cold)
        cold()  # leave a filled cache for the warm runs
        t_warm = best(args.repeat, warm)
        with_prefilter = best(args.repeat, lambda: timed(
            [*scan, "--no-cache", "-o", os.devnull, str(corpus)], cwd=root, env=env))
        without_prefilter = timed(
            [*scan, "--no-cache", "-o", os.devnull, str(corpus)], cwd=root,
            env={**env, "MIGRATOR_NO_PREFILTER": "1"})

        t_libcst = None
        if not args.skip_libcst:
            # A copy, so the CLI's config and any output stay out of the corpus.
            tree = Path(tmp) / "libcst"
            shutil.copytree(corpus, tree / corpus.name)
            (tree / ".libcst.codemod.yaml").write_text(LIBCST_CONFIG, encoding="utf-8")
            t_libcst = timed(
                [sys.executable, "-m", "libcst.tool", "codemod", "-x", COMMAND, "-j", jobs, "-u", "0",
                 "--hide-progress", corpus.name],
                cwd=tree, env=env)

    print(f"corpus: {corpus.name} ({files} Python files, {candidates} candidates after the prefilter), "
          f"-j {jobs}, best of {args.repeat}")
    rows = [("grep -r (floor)", grep), ("migrator scan, cold", t_cold), ("migrator scan, warm", t_warm),
            ("migrator apply --check, cold", t_apply)]
    if t_libcst is not None:
        rows.append(("libcst.tool codemod (1 run)", t_libcst))
    for name, seconds in rows:
        print(f"  {name:<30} {seconds:8.2f} s")
    print(f"  files/s with prefilter:    {files / with_prefilter:10.0f}  ({with_prefilter:.2f} s, no cache)")
    print(f"  files/s without prefilter: {files / without_prefilter:10.0f}  ({without_prefilter:.2f} s, no cache, 1 run)")
    if t_libcst is not None:
        ratio = t_libcst / t_cold
        print(f"  cold vs LibCST CLI: {ratio:6.1f}x faster (goal 20x) {'ok' if ratio >= 20 else 'MISSED'}")
        print(f"  apply vs LibCST CLI: {t_libcst / t_apply:5.1f}x faster (goal 20x)")
    ratio = t_cold / t_warm
    print(f"  warm vs cold:       {ratio:6.1f}x faster (goal 10x) {'ok' if ratio >= 10 else 'MISSED'}")
    print(f"  cold vs grep floor: {t_cold / grep:6.1f}x slower")


if __name__ == "__main__":
    main()
