"""A module that holds no old name, yet tests a status with a constant it
imports from one that does, is joined with its callers: `checks.py`'s
`is_dead(row)` tests `row["status"] in DEAD`, `DEAD` from `vocab.py`, and
`main.py` calls it with rows of `openclaw sessions --json`. `DEAD` is a
session collection. `is_over(rec)`, called only with a job queue's records,
keeps `FINISHED` as it is."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

VOCAB = '''DEAD = ("failed", "timeout")
FINISHED = ("done", "failed")
'''

CHECKS = '''from .vocab import DEAD, FINISHED


def is_dead(row):
    return row["status"] in DEAD


def is_over(rec):
    return rec["status"] in FINISHED
'''

MAIN = '''import json
import subprocess

from .checks import is_dead


def dead_keys():
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True, check=True).stdout
    return [row["key"] for row in json.loads(out)["sessions"] if is_dead(row)]
'''

JOBS = '''from .checks import is_over


def load_jobs(queue):
    return list(queue)


def finished(queue):
    return [job["name"] for job in load_jobs(queue) if is_over(job)]
'''


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    package = root / "watch"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "watch"\n', "utf-8")
    for name, text in (("__init__", ""), ("vocab", VOCAB), ("checks", CHECKS), ("main", MAIN), ("jobs", JOBS)):
        (package / f"{name}.py").write_text(text, "utf-8")
    return root


def test_a_plain_module_is_joined_with_its_callers(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    scan = run_cli("scan", ".", "--show-why", "--min-confidence", "possible", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    why = ("constant `DEAD` is used in a status test in another module: in watch/checks.py: compared with "
           "`row[\"status\"]`, where `row` of `is_dead()` is passed, at watch/main.py:9, `row`, `row` iterates the "
           "`sessions` of decoded from `out`, the output of `openclaw sessions`")
    assert scan.stdout.splitlines() == [
        f"watch/vocab.py:1:9: status-constant [certain, rewrite] 'failed' -> 'interrupted': {why}",
        f"watch/vocab.py:1:19: status-constant [certain, rewrite] 'timeout' -> 'waiting_for_response': {why}",
        "5 files scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ]


def test_after_expand_and_contract(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    assert _run(root, bin_dir, ["failed", "timeout"]) == {"dead": ["s0", "s1"], "finished": ["j0", "j1"]}
    done = run_cli("apply", ".", "--write", "--phase", "expand", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    vocab = root / "watch" / "vocab.py"
    assert vocab.read_text("utf-8") == VOCAB.replace(
        '("failed", "timeout")', '("failed", "interrupted", "timeout", "waiting_for_response")')
    assert [(root / "watch" / f"{n}.py").read_text("utf-8") for n in ("checks", "main", "jobs")] == [CHECKS, MAIN, JOBS]
    both = {"dead": ["s0", "s1"], "finished": ["j0", "j1"]}
    assert _run(root, bin_dir, ["failed", "timeout"]) == both
    assert _run(root, bin_dir, ["interrupted", "waiting_for_response"]) == both
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    assert vocab.read_text("utf-8") == VOCAB.replace('("failed", "timeout")', '("interrupted", "waiting_for_response")')
    assert _run(root, bin_dir, ["interrupted", "waiting_for_response"]) == both


def _run(root: Path, bin_dir: Path, dead: list[str]) -> dict[str, list[str]]:
    """`dead_keys()` over an `openclaw sessions --json` that lists sessions
    ending with ``dead`` (and one running), and `finished()` over a job queue
    whose records end `done`, `failed` (finished) and `timeout` (not)."""
    rows = [{"key": f"s{i}", "status": s} for i, s in enumerate([*dead, "running"])]
    fake = bin_dir / "openclaw"
    fake.write_text(f"#!{sys.executable}\nprint({json.dumps(json.dumps({'sessions': rows}))})\n", "utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    code = ("import json; from watch import main, jobs\n"
            "queue = [{'name': 'j0', 'status': 'done'}, {'name': 'j1', 'status': 'failed'}, "
            "{'name': 'j2', 'status': 'timeout'}]\n"
            "print(json.dumps({'dead': main.dead_keys(), 'finished': jobs.finished(queue)}))\n")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    ran = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    return dict(json.loads(ran.stdout))
