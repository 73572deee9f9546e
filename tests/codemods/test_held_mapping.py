"""A mapping an object keeps of the last status it saw per session
(`self.last[key] = row.get("status")` in one method) read back in another
(`status = self.last.get(key)`): the value read is a session status, where
it was written, and a status the object writes there itself (after a
stop) is a writer: kept in expand, renamed in contract. The same mapping
kept of `sessions_send` replies is another vocabulary and stays."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

FILES = {
    "tracker.py": '''import threading


class Tracker:
    def __init__(self, gateway):
        self.gateway = gateway
        self.last: dict[str, str] = {}
        self.replies: dict[str, str] = {}
        self.lock = threading.Lock()

    def poll(self):
        for row in self.gateway.invoke("sessions_list", {})["details"]["sessions"]:
            with self.lock:
                self.last[row["key"]] = row.get("status")

    def nudge(self, key):
        reply = self.gateway.invoke("sessions_send", {"sessionKey": key, "message": "still there?"})
        self.replies[key] = reply["status"]

    def can_stop(self, key):
        with self.lock:
            status = self.last.get(key)
        if status in ("done", "failed", "killed"):
            return False
        return self.replies.get(key) != "timeout"

    def stopped(self, key):
        with self.lock:
            self.last[key] = "killed"
''',
}


def test_a_status_kept_per_session_is_read_back_as_one(tmp_path: Path) -> None:
    package = write_package(tmp_path, "watch", FILES)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == [
        "watch/tracker.py:23:23: status-membership [certain, rewrite] 'done' -> 'agent_responded'",
        "watch/tracker.py:23:31: status-membership [certain, rewrite] 'failed' -> 'interrupted'",
        "watch/tracker.py:23:41: status-membership [certain, rewrite] 'killed' -> 'halted'",
        "watch/tracker.py:29:30: status-writer: `killed` kept in expand (a written or single value), "
        "`halted` in contract: contract pending",
        "2 files scanned, 3 findings: 3 to rewrite, 0 to review (expand phase)",
    ]
    text = FILES["tracker.py"]
    apply_phase(tmp_path, "expand", package, FILES, {"tracker.py": text.replace(
        '("done", "failed", "killed")', '("done", "agent_responded", "failed", "interrupted", "killed", "halted")')})
    apply_phase(tmp_path, "contract", package, FILES, {"tracker.py": text.replace(
        '("done", "failed", "killed")', '("agent_responded", "interrupted", "halted")').replace(
        'self.last[key] = "killed"', 'self.last[key] = "halted"')})
