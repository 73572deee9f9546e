"""bench/check_openclaw_package.py on the schema text captured from
openclaw@2026.9.6 (fixtures/openclaw-2026.9.6/): the manifest's session
vocabulary is the package's, and a release that changes it is noticed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES

REPO = Path(__file__).resolve().parents[2]
CHECK = REPO / "bench" / "check_openclaw_package.py"
CAPTURED = FIXTURES / "openclaw-2026.9.6"
MANIFEST = REPO / "migrator" / "renames" / "session_status.toml"
ROW = "dist/sessions-row-CU6LvmZ_.mjs"
SCHEMA = "dist/openclaw-agent-board-schema-vd3Vff_q.mjs"


def _check(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CHECK), *map(str, args)], capture_output=True, text=True,
                          timeout=60, check=False)


def _package(tmp_path: Path, rel: str, old: str, new: str) -> Path:
    package = tmp_path / "openclaw"
    shutil.copytree(CAPTURED, package, ignore=shutil.ignore_patterns(".migrator"))
    text = (package / rel).read_text("utf-8")
    assert old in text
    (package / rel).write_text(text.replace(old, new), "utf-8")
    return package


def test_captured_package_matches_the_manifest() -> None:
    out = _check(CAPTURED)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines() == [
        "PASS SessionRunStatusSchema (sessions-row-CU6LvmZ_.mjs): queued, running, done, failed, killed, timeout",
        "PASS CHECK on session_nodes.status (openclaw-agent-board-schema-vd3Vff_q.mjs): running, done, failed, killed, timeout",
        "PASS CHECK on session_windows.status (openclaw-agent-board-schema-vd3Vff_q.mjs): running, done, failed, killed, timeout",
    ]


def test_a_manifest_without_queued_fails(tmp_path: Path) -> None:
    manifest = tmp_path / "m.toml"
    text = MANIFEST.read_text("utf-8").replace('values = ["queued", "running"]', 'values = ["running"]')
    manifest.write_text(text.replace('absent-from-columns = ["queued"]', ""), "utf-8")
    out = _check(CAPTURED, "--manifest", manifest)
    assert out.returncode == 1
    assert ("FAIL SessionRunStatusSchema (sessions-row-CU6LvmZ_.mjs) differs from the manifest; the package has "
            "queued (add it to [values] or [unchanged])") in out.stdout.splitlines()


def test_a_release_with_a_new_status_fails(tmp_path: Path) -> None:
    package = _package(tmp_path, ROW, '\tType.Literal("timeout")\n', '\tType.Literal("timeout"),\n\tType.Literal("paused")\n')
    out = _check(package)
    assert out.returncode == 1
    assert [line for line in out.stdout.splitlines() if line.startswith("FAIL")] == [
        "FAIL SessionRunStatusSchema (sessions-row-CU6LvmZ_.mjs) differs from the manifest; the package has "
        "paused (add it to [values] or [unchanged])"]


def test_a_check_that_starts_allowing_queued_fails(tmp_path: Path) -> None:
    package = _package(tmp_path, SCHEMA, "status IN ('running', 'done'", "status IN ('queued', 'running', 'done'")
    out = _check(package)
    assert out.returncode == 1
    fails = [line for line in out.stdout.splitlines() if line.startswith("FAIL")]
    assert fails == [
        f"FAIL the CHECK on {table}.status (openclaw-agent-board-schema-vd3Vff_q.mjs) differs from the manifest; "
        "the package has queued (add it to [values] or [unchanged])" for table in ("session_nodes", "session_windows")]


def test_a_check_without_a_manifest_value_fails(tmp_path: Path) -> None:
    package = _package(tmp_path, SCHEMA, "'killed', ", "")
    out = _check(package)
    assert out.returncode == 1
    assert "the manifest has killed that the package does not" in out.stdout


def test_a_package_without_the_schema_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    out = _check(tmp_path)
    assert out.returncode == 2
    assert out.stderr == f"error: {tmp_path / 'dist'}: no file matches sessions-row-*.mjs\n"
