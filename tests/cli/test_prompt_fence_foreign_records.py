"""A ```json example in a prompt that quotes a record of another vocabulary
(a subagent run's ``outcome``, an ``acp`` block) is not a session status,
even in a prompt that talks about ``sessions_list``: scan lists nothing for
it and contract leaves its bytes as they are."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli, snapshot

AGENTS = """\
# Agent rules

Call `sessions_list` to see the sessions. A subagent run record looks like this:

```json
{"runId": "r2", "outcome": {"status": "timeout"}, "endedReason": "wait elapsed"}
```

And a session row:

```json
{"key": "agent:main:main", "status": "done"}
```
"""


def test_an_outcome_status_in_a_json_fence_is_not_a_session_status(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text(AGENTS)
    scan = run_cli("scan", ".", "--no-cache", cwd=tmp_path)
    assert scan.returncode == 1, scan.stderr
    assert scan.stdout.splitlines() == [
        "to review (1):",
        "AGENTS.md:12:38: prompt-json [likely, review] 'done' -> 'agent_responded' at /status",
        "1 file scanned, 1 finding: 0 to rewrite, 1 to review (expand phase)",
    ]
    written = run_cli("apply", ".", "--phase", "contract", "--write", "--no-cache", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "AGENTS.md").read_text() == AGENTS.replace('"status": "done"', '"status": "agent_responded"')


def test_an_acp_block_alone_is_left_as_it_is(tmp_path: Path) -> None:
    text = ("# Tools\n\nEach `sessions_list` row may hold an ACP block:\n\n"
            '```jsonc\n{ "acp": { "status": "failed" } } // the ACP runtime\'s own state\n```\n')
    (tmp_path / "AGENTS.md").write_text(text)
    before = snapshot(tmp_path)
    scan = run_cli("scan", ".", "--no-cache", cwd=tmp_path)
    assert (scan.returncode, scan.stdout) == (0, "1 file scanned, 0 findings: 0 to rewrite, 0 to review (expand phase)\n")
    written = run_cli("apply", ".", "--phase", "contract", "--write", "--no-cache", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert snapshot(tmp_path) == before
