"""Provenance across the tree, local data flow, markers, suppressions and the
review section of the text report."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

from codemods.session_status import StatusRewriter
from migrator.manifest import load_manifest
from tests.conftest import FIXTURES, run_cli

MANIFEST = load_manifest()


def _findings(source: str, **kw: object) -> list[object]:
    return list(StatusRewriter(MANIFEST, **kw).rewrite(textwrap.dedent(source).encode()).findings)  # type: ignore[arg-type]


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def _scan(root: Path) -> list[dict[str, object]]:
    done = run_cli("scan", "--format", "json", ".", cwd=root)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)["findings"]  # type: ignore[no-any-return]


def test_constant_used_in_another_module_is_rewritten_only_for_sessions(tmp_path: Path) -> None:
    _write(tmp_path, {
        "pyproject.toml": "[tool.migrator]\n",
        "orch/__init__.py": "",
        "orch/consts.py": 'FINISHED = ("done", "failed", "timeout", "killed")\n',
        "orch/poll.py": """
            from orch.consts import FINISHED

            def ended(client):
                return [r for r in client.call("sessions.list")["sessions"] if r["status"] in FINISHED]
        """,
        "jobs/__init__.py": "",
        "jobs/consts.py": 'FINISHED = ("done", "failed", "timeout", "killed")\n',
        "jobs/run.py": """
            from .consts import FINISHED

            def over(job):
                return job.status in FINISHED
        """,
    })
    findings = _scan(tmp_path)
    rewritten = {f["path"] for f in findings if f["action"] == "rewrite"}
    assert rewritten == {"orch/consts.py"}
    why = next(f["why"] for f in findings if f["path"] == "orch/consts.py")
    assert "orch/poll.py" in why and "sessions.list" in why
    assert not [f for f in findings if f["path"].startswith("jobs/")]


def test_local_flow_marks_session_rows_and_not_send_results() -> None:
    findings = _findings("""
        import json

        def a(gw):
            rows = gw.sessions_list(limit=5)["sessions"]
            return [r for r in rows if r["status"] == "done"]

        def b(raw):
            frame = json.loads(raw)
            if frame["event"] == "sessions.changed":
                return frame["payload"]["status"] == "failed"

        def c(path):
            store = json.loads(open(path + "/sessions.json").read())
            return [k for k, e in store.items() if e["status"] == "killed"]

        def d(gw):
            reply = gw.sessions_send("k", "hi")
            return reply["status"] == "timeout"
    """)
    by_line = {f.line: f for f in findings}  # type: ignore[attr-defined]
    assert by_line[6].confidence == "certain" and "sessions_list" in by_line[6].why
    assert by_line[11].confidence == "certain" and "sessions.changed" in by_line[11].why
    assert by_line[15].confidence == "certain" and "sessions.json" in by_line[15].why
    assert 19 not in by_line


def test_event_handler_decorator_marks_its_payload() -> None:
    findings = _findings("""
        @gateway.on("sessions.changed")
        def changed(payload):
            return payload["status"] == "timeout"
    """)
    assert [f.confidence for f in findings] == ["certain"]  # type: ignore[attr-defined]


def test_user_markers_work_end_to_end(tmp_path: Path) -> None:
    _write(tmp_path, {
        "pyproject.toml": '[tool.migrator]\nmarkers = ["corp.fleet"]\n',
        "corp/__init__.py": "",
        "corp/fleet.py": "def rows():\n    return []\n",
        "corp/watch.py": """
            from corp.fleet import rows

            def stopped():
                return [r for r in rows() if r["status"] == "killed"]
        """,
    })
    findings = _scan(tmp_path)
    assert [(f["path"], f["action"]) for f in findings] == [("corp/watch.py", "rewrite")]
    assert "corp.fleet" in str(findings[0]["why"])
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\n")
    assert [f["action"] for f in _scan(tmp_path)] in ([], ["review"])


def test_unused_suppression_is_reported(tmp_path: Path) -> None:
    _write(tmp_path, {
        "pyproject.toml": "[tool.migrator]\n",
        "poll.py": """
            def f(gw):
                for row in gw.call("sessions.list")["sessions"]:
                    if row["status"] == "done":  # migrator: ignore
                        pass
                x = 1  # migrator: ignore
        """,
    })
    done = run_cli("scan", ".", cwd=tmp_path)
    assert "poll.py:6: unused suppression" in done.stdout
    assert "poll.py:4:" not in done.stdout


def test_text_report_lists_rewrites_then_a_review_section(tmp_path: Path) -> None:
    root = tmp_path / "callers"
    shutil.copytree(FIXTURES / "python" / "callers", root, ignore=shutil.ignore_patterns(".migrator"))
    out = run_cli("scan", ".", cwd=root).stdout.splitlines()
    header = next(i for i, line in enumerate(out) if line.startswith("to review ("))
    assert all("rewrite]" in line for line in out[:header])
    section = [line for line in out[header + 1:] if line.startswith("app/") and not line.endswith("contract pending")]
    assert section and all("review]" in line for line in section)
    assert any("status-message" in line for line in section)


def test_a_payload_and_a_command_line_name_their_source() -> None:
    findings = _findings("""
        import json, subprocess, urllib.request

        def over_http(url):
            payload = json.dumps({"tool": "sessions_list", "args": {"limit": 20}}).encode()
            request = urllib.request.Request(url + "/tools/invoke", data=payload)
            with urllib.request.urlopen(request) as response:
                data = json.loads(response.read().decode())
            return [s for s in data["details"]["sessions"] if s.get("status") == "done"]

        def over_cli(minutes):
            cmd = ["openclaw", "sessions", "--json", "--active", str(minutes)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            return [s for s in json.loads(proc.stdout)["sessions"] if s["status"] == "failed"]
    """)
    by_line = {f.line: f for f in findings}  # type: ignore[attr-defined]
    assert by_line[9].confidence == "certain" and "a `sessions_list` result" in by_line[9].why
    assert by_line[14].confidence == "certain" and "the output of `openclaw sessions`" in by_line[14].why
