"""The Python session sources include every gateway surface of the manifest:
a response named in `[[surfaces.gateway]]` is a source in Python code too,
without a second list to keep in step."""

from __future__ import annotations

from pathlib import Path

from migrator.manifest import load_manifest
from tests.conftest import run_cli


def test_every_gateway_response_and_unconditional_event_is_a_python_source() -> None:
    manifest = load_manifest()
    sources = manifest.python.sources
    responses = [s.name for s in manifest.gateway if s.kind == "response"]
    events = [s.name for s in manifest.gateway if s.kind == "event"]
    assert "sessions.describe" in responses and "agent" in events
    assert set(responses) <= set(sources.calls)
    # `agent` frames carry a session only when they hold one (`requires`):
    # its name alone proves nothing about a frame's status.
    assert [e for e in events if e not in sources.events] == ["agent"]
    assert len(sources.calls) == len(set(sources.calls))


def test_a_row_from_sessions_describe_is_a_session_status(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "follow"\n', "utf-8")
    (tmp_path / "follow.py").write_text(
        "def finished(gateway, key):\n"
        '    row = gateway.call("sessions.describe", {"key": key})["session"]\n'
        '    return row["status"] == "done"\n',
        "utf-8",
    )
    scan = run_cli("scan", "follow.py", "--show-why", cwd=tmp_path)
    assert scan.returncode == 1, scan.stderr
    assert scan.stdout.splitlines()[0] == (
        "follow.py:3:29: status-compare [certain, rewrite] 'done' -> 'agent_responded': compared with "
        "`row[\"status\"]`, where `row`, the `session` of a `sessions.describe` result"
    )
