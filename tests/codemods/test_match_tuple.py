"""A `match` on a tuple of values, each item judged on its own: the
patterns at the position of a session status are status patterns, those at
the position of another value stay. And a name bound in a branch that
returns does not reach the code after it: `reply` from `sessions_send` in
the early branch says nothing of the `reply` that is read below it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import apply_phase, run_cli, write_package

FILES = {
    "rows.py": '''import json
from pathlib import Path


def entries(state: Path) -> dict:
    return json.loads((state / "agents" / "main" / "sessions" / "sessions.json").read_text())
''',
    "moves.py": '''from .rows import entries


def moves(state, before):
    out = []
    for key, entry in entries(state).items():
        match (before.get(key), entry.get("status"), entry.get("kind")):
            case (None, "running", _):
                out.append("started")
            case ("running", "done" | "failed", "cron"):
                out.append("cron run over")
            case ("running", "killed", _) | (_, "timeout", "done"):
                out.append("stopped")
    return out


def latest(client, key, nudge):
    if nudge:
        reply = client.invoke("sessions_send", {"sessionKey": key, "message": "ping"})
        return reply["status"] == "timeout"
    reply = client.invoke("sessions_list", {})
    return [s["key"] for s in reply["sessions"] if s["status"] == "failed"]
''',
}

EXPANDED = FILES["moves.py"].replace(
    'case ("running", "done" | "failed", "cron"):', 'case ("running", "done" | "agent_responded" | "failed" | "interrupted", "cron"):'
).replace(
    'case ("running", "killed", _) | (_, "timeout", "done"):',
    'case ("running", "killed" | "halted", _) | (_, "timeout" | "waiting_for_response", "done"):',
).replace('s["status"] == "failed"', 's["status"] in ("failed", "interrupted")')
CONTRACTED = FILES["moves.py"].replace(
    'case ("running", "done" | "failed", "cron"):', 'case ("running", "agent_responded" | "interrupted", "cron"):'
).replace(
    'case ("running", "killed", _) | (_, "timeout", "done"):', 'case ("running", "halted", _) | (_, "waiting_for_response", "done"):'
).replace('s["status"] == "failed"', 's["status"] == "interrupted"')


def test_scan_judges_each_item_of_the_matched_tuple(tmp_path: Path) -> None:
    write_package(tmp_path, "watch", FILES)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "watch/moves.py:10:30: status-match [certain, rewrite] 'done' -> 'agent_responded'",
        "watch/moves.py:10:39: status-match [certain, rewrite] 'failed' -> 'interrupted'",
        "watch/moves.py:12:30: status-match [certain, rewrite] 'killed' -> 'halted'",
        "watch/moves.py:12:49: status-match [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "watch/moves.py:22:67: status-compare [certain, rewrite] 'failed' -> 'interrupted'",
        "3 files scanned, 5 findings: 5 to rewrite, 0 to review (expand phase)",
    ]


def test_expand_and_contract_rewrite_the_status_positions_only(tmp_path: Path) -> None:
    package = write_package(tmp_path, "watch", FILES)
    apply_phase(tmp_path, "expand", package, FILES, {"moves.py": EXPANDED})
    apply_phase(tmp_path, "contract", package, FILES, {"moves.py": CONTRACTED})


UNDONE = {
    "retry.py": '''def latest(client, key):
    reply = client.invoke("sessions_list", {})["details"]["sessions"][0]
    for attempt in range(3):
        reply = client.invoke("sessions_send", {"sessionKey": key, "message": "ping"})
        if reply["status"] == "timeout":
            continue
        return None
    return reply
''',
}


def test_a_name_bound_again_above_a_use_in_its_block_holds_that_value_there(tmp_path: Path) -> None:
    # `reply = sessions_send(...)` then `reply["status"]` below it in the same
    # block: the sessions_list row bound before the loop never reaches there.
    package = write_package(tmp_path, "watch", UNDONE)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.stdout.splitlines() == ["2 files scanned, 0 findings: 0 to rewrite, 0 to review (expand phase)"]
    apply_phase(tmp_path, "contract", package, UNDONE, {})
