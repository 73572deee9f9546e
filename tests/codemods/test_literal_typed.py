"""A status of unknown origin declared with a `Literal` of another
vocabulary is that vocabulary's, as real agent frameworks type theirs: a
parameter `status: SubgraphStatus` where `SubgraphStatus = Literal["started",
"completed", "failed", ...]`, and `reply.status` where the module's models
declare `status: Literal["generating", "completed", "interrupted", "failed"]`.
A parameter typed with the session statuses is still listed for review. A
default decides as well: `entry.get("status", "completed")` holds another vocabulary."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli, write_package

FLOW = '''from typing import Literal, Optional

from pydantic import BaseModel

SubgraphStatus = Literal["started", "completed", "failed", "interrupted", "drained"]
RunStatus = Literal["running", "done", "failed", "killed", "timeout"]


class ReplyRecord(BaseModel):
    status: Literal["generating", "completed", "interrupted", "failed"] = "generating"


def close(handle, status: Optional[SubgraphStatus]):
    if status == "failed":
        handle.fail()


def accept(state, key):
    reply = state.replies.get(key)
    return reply is not None and reply.status != "failed"


def ended(status: RunStatus | None) -> bool:
    return status in ("done", "failed")
'''


def test_a_literal_of_another_vocabulary_decides(tmp_path: Path) -> None:
    write_package(tmp_path, "flows", {"flow.py": FLOW})
    scan = run_cli("scan", ".", "--phase", "contract", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "to review (2):",
        "flows/flow.py:24:23: status-membership [possible, review] 'done' -> 'agent_responded'",
        "flows/flow.py:24:31: status-membership [possible, review] 'failed' -> 'interrupted'",
        "2 files scanned, 2 findings: 0 to rewrite, 2 to review (contract phase)",
    ]


def test_a_default_of_another_vocabulary_decides(tmp_path: Path) -> None:
    # A shell tool's outcome read with a default of "completed": its own words.
    # A row read with a session default ("done") is still a status to review.
    write_package(tmp_path, "tools", {"shell.py": '''def outcome(entry):
    status = str(entry.get("status", "completed") or "completed").lower()
    return "timeout" if status == "timeout" else "exit"


def finished(row):
    return row.get("status", "done") == "failed"
'''})
    scan = run_cli("scan", ".", "--phase", "contract", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "to review (2):",
        "tools/shell.py:7:30: status-default [possible, review] 'done' -> 'agent_responded'",
        "tools/shell.py:7:41: status-compare [possible, review] 'failed' -> 'interrupted'",
        "2 files scanned, 2 findings: 0 to rewrite, 2 to review (contract phase)",
    ]
