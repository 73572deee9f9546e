"""Do no harm at scale: run `migrator scan` over real job schedulers and
workflow engines that use the session words for their own states, and count
what it would rewrite (the answer should be nothing).

    python bench/unrelated.py

The packages come from the package index through pip (wheels, unpacked into
bench/.work/unrelated/); nothing else is downloaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / ".work" / "unrelated"
PACKAGES = ["luigi==3.8.1", "celery==5.7.0", "dask==2026.8.0", "prefect==3.9.1", "apache-airflow-core==3.3.2"]


def fetch() -> list[Path]:
    WORK.mkdir(parents=True, exist_ok=True)
    # Its own configuration, so the repository's [tool.migrator] excludes
    # (which leave out bench/) do not apply to the corpus.
    (WORK / "pyproject.toml").write_text("[tool.migrator]\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:", "-d", str(WORK), *PACKAGES],
        check=True,
    )
    trees = []
    for wheel in sorted(WORK.glob("*.whl")):
        target = WORK / wheel.name.split("-")[0]
        if not target.exists():
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(target)
        trees.append(target)
    return trees


def main() -> int:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    total_rewrites = 0
    print(f"{'package':24} {'files':>6} {'parsed':>6} {'findings':>8} {'rewrite':>7} {'review':>6}")
    for tree in fetch():
        out = subprocess.run(
            [sys.executable, "-m", "migrator", "scan", str(tree), "--format", "json", "--no-cache"],
            capture_output=True, text=True, env=env, cwd=WORK,
        )
        doc = json.loads(out.stdout)
        s = doc["summary"]
        total_rewrites += s["rewrite"]
        print(f"{tree.name:24} {s['files_scanned']:6} {s['files_parsed']:6} {s['findings']:8} {s['rewrite']:7} {s['review']:6}")
        for f in doc["findings"]:
            if f["action"] == "rewrite":
                print(f"    would rewrite {f['path']}:{f['line']} {f['old']!r}: {f['why']}")
    print(f"rewrites in unrelated code: {total_rewrites}")
    return 0 if total_rewrites == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
