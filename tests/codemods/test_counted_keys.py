"""Session statuses counted by key: a metrics job tallies session rows by
``(team, status)`` with ``Counter`` and adds up the counts whose status is
in a constant (``for (team, status), n in counts.items(): if status in
LOST``); the gateway client is injected as a factory typed
``Callable[[], Client]`` and opened as ``with self.connect() as c``. The
same method tallies cron runs (another vocabulary, the same words) the same
way, with a comprehension that reuses the names: it stays."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

CLIENT = '''"""A blocking client of the gateway: one request, one answer."""

import json
from typing import Any, Callable


class Client:
    def __init__(self, transport: Callable[[str], str]) -> None:
        self.transport = transport

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        return json.loads(self.transport(json.dumps({"method": method, "params": params})))

    def sessions(self) -> list[dict[str, Any]]:
        return self.call("sessions.list", {"limit": 500}).get("sessions", [])

    def cron_runs(self) -> list[dict[str, Any]]:
        return self.call("cron.runs", {}).get("runs", [])
'''

METRICS = '''from collections import Counter
from typing import Callable

from .client import Client

LOST = ("failed", "killed")
RUN_LOST = ("failed", "timeout")


class Tally:
    def __init__(self, connect: Callable[[], Client]) -> None:
        self.connect = connect

    def lost(self) -> dict[str, int]:
        with self.connect() as c:
            rows = c.sessions()
            runs = c.cron_runs()
        counts = Counter((r.get("team", "-"), r.get("status")) for r in rows)
        out: dict[str, int] = {}
        for (team, status), n in counts.items():
            if status in LOST:
                out[team] = out.get(team, 0) + n
        by_job = Counter((r["job"], r.get("status")) for r in runs)
        out["cron"] = sum(n for (_, status), n in by_job.items() if status in RUN_LOST)
        return out
'''

RUN = '''import json
from tally.client import Client
from tally.metrics import Tally

STATUSES = {statuses}


def transport(raw):
    if json.loads(raw)["method"] == "sessions.list":
        teams = ["red", "red", "blue", "blue"]
        return json.dumps({"sessions": [{"key": str(i), "team": t, "status": s}
                                        for i, (t, s) in enumerate(zip(teams, STATUSES))]})
    return json.dumps({"runs": [{"job": "a", "status": "timeout"}, {"job": "b", "status": "failed"},
                                {"job": "c", "status": "ok"}]})


print(sorted(Tally(lambda: Client(transport)).lost().items()))
'''

FILES = {"client.py": CLIENT, "metrics.py": METRICS}
EXPANDED = {"metrics.py": METRICS.replace('LOST = ("failed", "killed")', 'LOST = ("failed", "interrupted", "killed", "halted")')}
CONTRACTED = {"metrics.py": METRICS.replace('LOST = ("failed", "killed")', 'LOST = ("interrupted", "halted")')}
OLD = ["failed", "done", "killed", "timeout"]
NEW = ["interrupted", "agent_responded", "halted", "waiting_for_response"]


def _tree(root: Path) -> Path:
    return write_package(root, "tally", FILES)


def _lost(root: Path, statuses: list[str]) -> str:
    done = subprocess.run([sys.executable, "-c", RUN.replace("{statuses}", repr(statuses))],
                          cwd=root, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_a_constant_tested_with_the_keys_of_a_count_of_session_rows(tmp_path: Path) -> None:
    package = _tree(tmp_path)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "tally/metrics.py:6:9: status-constant [certain, rewrite] 'failed' -> 'interrupted'",
        "tally/metrics.py:6:19: status-constant [certain, rewrite] 'killed' -> 'halted'",
        "3 files scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ]
    why = run_cli("scan", ".", "--show-why", cwd=tmp_path).stdout
    assert "compared with `status` (a key of `counts`, `r.get(\"status\")`), where `r` iterates `rows`, " \
        "what `Client.sessions()` (tally/client.py:20) returns" in why, why
    before = _lost(tmp_path, OLD)
    assert before == "[('blue', 1), ('cron', 2), ('red', 1)]"
    apply_phase(tmp_path, "expand", package, FILES, EXPANDED)
    assert _lost(tmp_path, OLD) == before
    assert _lost(tmp_path, NEW) == before
    apply_phase(tmp_path, "contract", package, FILES, CONTRACTED)
    assert _lost(tmp_path, NEW) == before


def test_contract_from_the_original_tree_gives_the_same_bytes(tmp_path: Path) -> None:
    package = _tree(tmp_path)
    apply_phase(tmp_path, "contract", package, FILES, CONTRACTED)


def test_counts_of_another_vocabulary_stay(tmp_path: Path) -> None:
    """rq jobs counted the same way, by a worker of the same project that
    never talks to OpenClaw: the keys of its count are job states."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "jobs"\n', "utf-8")
    text = '''from collections import Counter

from rq import Queue

GAVE_UP = {"failed", "timeout"}


def gave_up(queue: Queue) -> int:
    jobs = [queue.fetch_job(i) for i in queue.job_ids]
    by_state = Counter((j.origin, j.get_status()) for j in jobs if j is not None)
    return sum(n for (_, state), n in by_state.items() if state in GAVE_UP)


def states(queue: Queue) -> dict[str, int]:
    seen = {j.get_status(): j.id for j in queue.jobs}
    return {state: 1 for state, _ in seen.items() if state in GAVE_UP}
'''
    (tmp_path / "jobs.py").write_text(text, "utf-8")
    scan = run_cli("scan", ".", cwd=tmp_path)
    # A status of unknown origin is at most listed, never rewritten.
    assert scan.stdout.splitlines() == [
        "to review (2):",
        "jobs.py:5:12: status-constant [possible, review] 'failed' -> 'interrupted'",
        "jobs.py:5:22: status-constant [possible, review] 'timeout' -> 'waiting_for_response'",
        "1 file scanned, 2 findings: 0 to rewrite, 2 to review (expand phase)",
    ], scan.stdout
    for phase in ("expand", "contract"):
        done = run_cli("apply", ".", "--write", "--phase", phase, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "jobs.py").read_text("utf-8") == text


def test_keys_of_a_dict_comprehension_through_a_factory_default(tmp_path: Path) -> None:
    """`{r["status"]: r["key"] for r in gw.rows()}` keyed by status, `gw`
    built by a parameter defaulting to the client class (`make=Gateway`)."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "keys"\n', "utf-8")
    text = '''import json
from urllib.request import urlopen

BAD = {"failed", "timeout"}


class Gateway:
    def __init__(self, url):
        self.url = url

    def rows(self):
        body = json.dumps({"tool": "sessions_list", "args": {}}).encode()
        with urlopen(self.url, data=body) as r:
            return json.load(r)["result"]["details"]["sessions"]


def bad_keys(url, make=Gateway):
    gw = make(url)
    latest = {r["status"]: r["key"] for r in gw.rows()}
    return sorted(k for st, k in latest.items() if st in BAD)
'''
    (tmp_path / "keys.py").write_text(text, "utf-8")
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "keys.py:4:8: status-constant [certain, rewrite] 'failed' -> 'interrupted'",
        "keys.py:4:18: status-constant [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "1 file scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ], scan.stdout
    done = run_cli("apply", ".", "--write", "--phase", "expand", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "keys.py").read_text("utf-8") == text.replace(
        'BAD = {"failed", "timeout"}', 'BAD = {"failed", "interrupted", "timeout", "waiting_for_response"}')
