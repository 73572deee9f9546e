"""A reconcile script shaped like a real one: it loads per-agent session
stores (paths from a file given on the command line), reads each entry's
status through a normalising helper (`str(v or "").strip().lower()
.replace("-", "_")`), tests it with a helper against a set that holds
defensive words of other vocabularies beside the session ones, writes
`done`, then verifies the store. Nothing names `sessions.json`; what says
these are session entries is the shape: the same code reads
`abortedLastRun`, which only a session entry has. Its argparse description
mentions cron jobs, which names no source. A job-queue helper in the same
shape but without that key is left alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

FILES = {
    "reconcile.py": '''import argparse
import json
from pathlib import Path

FAILED_STATUSES = {"failed", "error", "aborted", "timeout", "timed_out"}


def _normalize_status(value):
    return str(value or "").strip().lower().replace("-", "_")


def _load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _is_failed_like(status, aborted):
    return status in FAILED_STATUSES or aborted


def reconcile(store_path):
    store = _load_json(store_path)
    changed = []
    for key, entry in store.items():
        current = _normalize_status(entry.get("status"))
        if not _is_failed_like(current, bool(entry.get("abortedLastRun"))):
            continue
        entry["status"] = "done"
        entry["abortedLastRun"] = False
        changed.append(key)
    Path(store_path).write_text(json.dumps(store), encoding="utf-8")
    return changed


def verify(store_path, keys):
    store = _load_json(store_path)
    wrong = []
    for key in keys:
        entry = store[key]
        observed = _normalize_status(entry.get("status"))
        if observed != "done" or entry.get("abortedLastRun"):
            wrong.append(key)
    return wrong


def main(argv=None):
    parser = argparse.ArgumentParser(description="Reconcile the session cards of failed cron runs.")
    parser.add_argument("summary", help="the cron watchdog's summary")
    parser.add_argument("store")
    args = parser.parse_args(argv)
    summary = _load_json(args.summary)
    keys = reconcile(args.store)
    return {"summary": len(summary), "changed": keys, "wrong": verify(args.store, keys)}
''',
    "jobs.py": '''JOB_DONE = {"done", "failed"}


def _norm(value):
    return str(value or "").strip().lower()


def finished(job):
    state = _norm(job.get("status"))
    return state in JOB_DONE and not job.get("retry")
''',
}


def test_scan_follows_the_shape_through_the_helpers(tmp_path: Path) -> None:
    write_package(tmp_path, "ops", FILES)
    scan = run_cli("scan", ".", "--min-confidence", "possible", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "ops/reconcile.py:5:20: status-constant [likely, rewrite] 'failed' -> 'interrupted'",
        "ops/reconcile.py:5:50: status-constant [likely, rewrite] 'timeout' -> 'waiting_for_response'",
        "ops/reconcile.py:41:24: status-compare [likely, rewrite] 'done' -> 'agent_responded'",
        "ops/reconcile.py:28:27: status-writer: `done` kept in expand (a written or single value), "
        "`agent_responded` in contract: contract pending",
        "3 files scanned, 3 findings: 3 to rewrite, 0 to review (expand phase)",
    ]
    why = run_cli("scan", "ops/reconcile.py", "--show-why", cwd=tmp_path).stdout.splitlines()[0]
    assert why.endswith("where `status` of `_is_failed_like()` is passed `current` (bound from "
                        "`_normalize_status(entry.get(\"status\"))` (`_normalize_status()` normalises "
                        "`entry.get(\"status\")`)) at line 26, of an object also read as `abortedLastRun`, which only "
                        "a session row has; 'aborted', 'error', 'timed_out' kept as written")


def test_expand_then_contract_and_the_script_still_works(tmp_path: Path) -> None:
    package = write_package(tmp_path, "ops", FILES)
    source = FILES["reconcile.py"]
    expanded = source.replace('{"failed", "error", "aborted", "timeout", "timed_out"}',
                              '{"failed", "interrupted", "error", "aborted", "timeout", "waiting_for_response", '
                              '"timed_out"}').replace('observed != "done"',
                                                      'observed not in ("done", "agent_responded")')
    apply_phase(tmp_path, "expand", package, FILES, {"reconcile.py": expanded})
    for store in ({"a": {"status": "failed"}, "b": {"status": "running"}},
                  {"a": {"status": "interrupted"}, "b": {"status": "running"}}):
        assert _run(tmp_path, store) == ({"summary": 0, "changed": ["a"], "wrong": []}, "done")
    contracted = source.replace('{"failed", "error", "aborted", "timeout", "timed_out"}',
                                '{"interrupted", "error", "aborted", "waiting_for_response", "timed_out"}') \
        .replace('observed != "done"', 'observed != "agent_responded"') \
        .replace('entry["status"] = "done"', 'entry["status"] = "agent_responded"')
    apply_phase(tmp_path, "contract", package, FILES, {"reconcile.py": contracted})
    assert _run(tmp_path, {"a": {"status": "waiting-for-response"}, "b": {"status": "agent_responded"}}) == (
        {"summary": 0, "changed": ["a"], "wrong": []}, "agent_responded")


def _run(root: Path, store: dict[str, dict[str, str]]) -> tuple[dict[str, object], str]:
    (root / "summary.json").write_text("[]", "utf-8")
    (root / "sessions.store").write_text(json.dumps(store), "utf-8")
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); from ops import reconcile; "
            "print(json.dumps(reconcile.main([sys.argv[2], sys.argv[3]])))")
    ran = subprocess.run([sys.executable, "-c", code, str(root), str(root / "summary.json"),
                          str(root / "sessions.store")], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    written = json.loads((root / "sessions.store").read_text("utf-8"))
    return json.loads(ran.stdout), written["a"]["status"]
