"""The command line end to end, through a real subprocess: exit codes, exact
output, and bytes on disk."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli, snapshot

MONITOR_EXPAND = '''\
"""Poll OpenClaw sessions and decide which ones need attention."""

from .client import invoke, send

# Sessions whose last run ended.
FINISHED = ("done", "agent_responded", "failed", "interrupted", "timeout", "waiting_for_response", "killed", "halted")


def sweep():
    payload = invoke("sessions_list", {"limit": 100})
    stuck, finished = [], []
    for row in payload["details"]["sessions"]:
        status = (row.get("status") or "").strip().lower()
        if status == "running":
            continue
        if status in FINISHED:
            finished.append(row["key"])
        if row.get("status") in ('timeout', 'waiting_for_response'):
            stuck.append(row["key"])
    return stuck, finished
'''


def test_scan_demo_lists_findings_and_exits_1(demo: Path) -> None:
    result = run_cli("scan", ".", cwd=demo)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    # One short line per finding; the why comes with --show-why.
    assert lines[0] == "orchestrator/monitor.py:6:13: status-constant [certain, rewrite] 'done' -> 'agent_responded'"
    why = run_cli("scan", ".", "--show-why", cwd=demo).stdout.splitlines()
    assert why[0] == (
        "orchestrator/monitor.py:6:13: status-constant [certain, rewrite] 'done' -> 'agent_responded': "
        "constant `FINISHED` is used in a status test: compared with `status` (bound from "
        "`row.get(\"status\")`), where `row` iterates the `sessions` of the `details` of `payload`, a `sessions_list` result"
    )
    assert any(
        line.startswith("orchestrator/monitor.py:18:33: status-compare [certain, rewrite] 'timeout'") for line in lines
    )
    assert lines[-1] == "6 files scanned, 5 findings: 5 to rewrite, 0 to review (expand phase)"
    assert not any("jobs/" in line for line in lines)
    assert result.stderr == ""


def test_scan_json_schema(demo: Path) -> None:
    result = run_cli("scan", "orchestrator", "--format", "json", cwd=demo)
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert doc["schema"] == "migrator.scan/1"
    assert doc["summary"]["findings"] == 5
    first = doc["findings"][0]
    assert set(first) == {"path", "line", "column", "kind", "old", "new", "confidence", "action", "rule", "why"}
    assert (first["path"], first["line"], first["column"], first["kind"]) == ("orchestrator/monitor.py", 6, 13, "python")
    assert (first["old"], first["new"], first["confidence"], first["action"]) == ("done", "agent_responded", "certain", "rewrite")


def test_scan_writes_report_to_file(demo: Path) -> None:
    result = run_cli("scan", ".", "--format", "json", "-o", "report.json", cwd=demo)
    assert result.returncode == 1
    assert result.stdout == ""
    assert json.loads((demo / "report.json").read_text())["summary"]["rewrite"] == 5


def test_scan_clean_tree_exits_0(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("print('hello')\n")
    result = run_cli("scan", ".", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == "1 file scanned, 0 findings: 0 to rewrite, 0 to review (expand phase)\n"


def test_apply_dry_run_prints_diff_and_changes_nothing(demo: Path) -> None:
    before = snapshot(demo)
    result = run_cli("apply", ".", cwd=demo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("--- a/orchestrator/monitor.py\n+++ b/orchestrator/monitor.py\n")
    assert "-        if row.get(\"status\") == 'timeout':\n+        if row.get(\"status\") in ('timeout', 'waiting_for_response'):\n" in result.stdout
    assert snapshot(demo) == before


def test_apply_write_then_check_is_clean(demo: Path) -> None:
    before = snapshot(demo)
    assert run_cli("apply", ".", "--check", cwd=demo).returncode == 1
    written = run_cli("apply", ".", "--write", cwd=demo)
    assert written.returncode == 0, written.stderr
    assert "rewrote orchestrator/monitor.py" in written.stderr
    after = snapshot(demo)
    assert after["orchestrator/monitor.py"].decode().startswith(MONITOR_EXPAND)
    # must-not-rewrite files are byte-identical
    for name in ("jobs/runner.py", "orchestrator/client.py", "pyproject.toml", "README.md"):
        assert after[name] == before[name], name
    check = run_cli("apply", ".", "--check", cwd=demo)
    assert check.returncode == 0, check.stdout
    assert check.stdout == ""


def test_contract_after_expand_equals_contract_direct(demo: Path, tmp_path: Path) -> None:
    import shutil

    direct = tmp_path / "direct"
    shutil.copytree(demo, direct, ignore=shutil.ignore_patterns(".migrator"))
    assert run_cli("apply", ".", "--write", "--phase", "expand", cwd=demo).returncode == 0
    assert run_cli("apply", ".", "--write", "--phase", "contract", cwd=demo).returncode == 0
    assert run_cli("apply", ".", "--write", "--phase", "contract", cwd=direct).returncode == 0
    assert snapshot(demo) == snapshot(direct)
    assert run_cli("apply", ".", "--check", "--phase", "contract", cwd=demo).returncode == 0


def test_rollback_restores_bytes_and_mode(demo: Path) -> None:
    monitor = demo / "orchestrator" / "monitor.py"
    monitor.chmod(0o640)
    before = snapshot(demo)
    assert run_cli("apply", ".", "--write", cwd=demo).returncode == 0
    assert monitor.stat().st_mode & 0o777 == 0o640  # the mode survives the rewrite
    assert snapshot(demo) != before
    result = run_cli("rollback", cwd=demo)
    assert result.returncode == 0, result.stderr
    assert "restored: orchestrator/monitor.py" in result.stderr  # relative, as apply prints it
    assert snapshot(demo) == before
    assert monitor.stat().st_mode & 0o777 == 0o640


def test_rollback_leaves_a_file_changed_since(demo: Path) -> None:
    monitor = demo / "orchestrator" / "monitor.py"
    assert run_cli("apply", ".", "--write", cwd=demo).returncode == 0
    monitor.write_text(monitor.read_text() + "# edited by hand\n")
    edited = monitor.read_bytes()
    result = run_cli("rollback", cwd=demo)
    assert result.returncode == 3
    assert "conflict: orchestrator/monitor.py" in result.stderr
    assert monitor.read_bytes() == edited


def test_phase_from_target_version(demo: Path) -> None:
    config = demo / "pyproject.toml"
    config.write_text(config.read_text().replace('"2026.9.6"', '"2027.4.0"'))
    result = run_cli("scan", ".", cwd=demo)
    assert result.stdout.splitlines()[-1].endswith("(contract phase)")
    config.write_text(config.read_text().replace('"2027.4.0"', '"2027.4.0-beta.1"'))
    result = run_cli("scan", ".", cwd=demo)
    assert result.stdout.splitlines()[-1].endswith("(expand phase)")


def test_min_confidence_possible_rewrites_more(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text('def f(row):\n    return row["status"] == "done"\n')
    default = run_cli("scan", ".", "--format", "json", cwd=tmp_path)
    finding = json.loads(default.stdout)["findings"][0]
    assert (finding["confidence"], finding["action"]) == ("possible", "review")
    assert run_cli("apply", ".", "--check", cwd=tmp_path).returncode == 0
    assert run_cli("apply", ".", "--check", "--min-confidence", "possible", cwd=tmp_path).returncode == 1


def test_rules_and_explain(tmp_path: Path) -> None:
    rules = run_cli("rules", cwd=tmp_path)
    assert rules.returncode == 0
    assert "  done -> agent_responded" in rules.stdout
    explain = run_cli("explain", "status-compare", cwd=tmp_path)
    assert explain.returncode == 0
    assert explain.stdout.startswith("status-compare: ")
    assert 'if row["status"] in ("done", "agent_responded"):' in explain.stdout
    unknown = run_cli("explain", "nope", cwd=tmp_path)
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("migrator: error: unknown rule 'nope'")


def test_python_dash_m_and_console_entry_agree(tmp_path: Path) -> None:
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("scan", "apply", "rollback", "rules", "explain", "gateway"):
        assert command in result.stdout


def test_paths_outside_the_current_directory_are_shown_as_given(demo: Path) -> None:
    elsewhere = demo.parent / "elsewhere"
    elsewhere.mkdir()
    result = run_cli("scan", "../demo/orchestrator", cwd=elsewhere)
    assert result.stdout.startswith("../demo/orchestrator/monitor.py:6:13: ")
    absolute = run_cli("apply", str(demo / "orchestrator"), cwd=elsewhere)
    header = f"--- {demo}/orchestrator/monitor.py\n+++ {demo}/orchestrator/monitor.py\n"
    assert absolute.stdout.startswith(header)


def test_negative_jobs_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("scan", ".", "--jobs", "-3", cwd=tmp_path)
    assert result.returncode == 2
    assert "Invalid value for '--jobs'" in result.stderr
