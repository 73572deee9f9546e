"""A plain name whose every binding says where its value comes from holds
no session status when none of them is a status read, even in a module that
talks to OpenClaw and with the session words: the words the code writes
itself (an upload's own state), or another field named like a state read
from a store (a job's ``state`` in a Redis hash). The session rows' status
beside them is rewritten as before."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli

MODULE = '''import requests

GATEWAY = "http://127.0.0.1:18789"
RETRY = ("timeout", "failed")


def broken():
    data = requests.post(GATEWAY + "/tools/invoke", json={"tool": "sessions_list", "args": {}}).json()
    return [s["key"] for s in data["result"]["details"]["sessions"] if s["status"] in ("failed", "timeout")]


def upload(path, url):
    for _ in range(3):
        try:
            r = requests.put(url, data=open(path, "rb"), timeout=30)
        except requests.Timeout:
            state = "timeout"
        else:
            state = "done" if r.ok else "failed"
        if state not in RETRY:
            return state
    return state


def stop_job(r, key):
    state = r.hget("clawhook:job:" + key, "state") or "unknown"
    if state == "timeout":
        return "no answer"
    if state == "failed":
        return "refused"
    return state
'''


def test_own_words_and_other_fields_stay(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "own"\n', "utf-8")
    (root / "ops.py").write_text(MODULE, "utf-8")
    scan = run_cli("scan", ".", cwd=root)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert [line.split(" -> ")[0] for line in scan.stdout.splitlines() if line.startswith("ops.py")] == [
        "ops.py:9:88: status-membership [certain, rewrite] 'failed'",
        "ops.py:9:98: status-membership [certain, rewrite] 'timeout'",
    ]
    for phase, new in (("expand", '("failed", "interrupted", "timeout", "waiting_for_response")'),
                       ("contract", '("interrupted", "waiting_for_response")')):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert (root / "ops.py").read_text("utf-8") == MODULE.replace('in ("failed", "timeout")', "in " + new), phase
