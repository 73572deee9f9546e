"""`migrator plugin`: the files it writes, their stability, and its errors.

What the generated JavaScript does with real tool results is tested by Node's
own test runner (tests/plugin/test_plugin_js.py); that it works inside a real
gateway, by bench/real_plugin.py.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from packaging.version import Version

from migrator.compat.negotiation import negotiate
from migrator.errors import ConfigError
from migrator.manifest import load_manifest
from migrator.plugin.generate import PLAN_MARKER, PluginOptions, plan, plugin_id, render, schedule_table

from conftest import REPO, run_cli

MANIFEST = load_manifest()
FILES = ["index.js", "openclaw.plugin.json", "package.json"]


def _plan_in(index: bytes) -> dict[str, object]:
    match = re.search(rb"^const PLAN = (\{.*?^\});$", index, re.S | re.M)
    assert match, "index.js holds no PLAN"
    return json.loads(match.group(1))  # type: ignore[no-any-return]


@pytest.mark.parametrize("annotate", [False, True])
def test_the_same_manifest_gives_the_same_bytes(tmp_path: Path, annotate: bool) -> None:
    flag = ["--resumable"] if annotate else []
    first = run_cli("plugin", str(tmp_path / "a"), *flag, cwd=tmp_path)
    second = run_cli("plugin", str(tmp_path / "b"), *flag, cwd=tmp_path)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == FILES
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert render(MANIFEST, PluginOptions(annotate)) == {n: (tmp_path / "a" / n).read_bytes() for n in FILES}


def test_writing_again_over_a_plugin_dir_leaves_the_same_bytes(tmp_path: Path) -> None:
    assert run_cli("plugin", str(tmp_path / "p"), cwd=tmp_path).returncode == 0
    before = {n: (tmp_path / "p" / n).read_bytes() for n in FILES}
    done = run_cli("plugin", str(tmp_path / "p"), cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.splitlines() == [str(tmp_path / "p" / n) for n in ("openclaw.plugin.json", "package.json", "index.js")]
    assert {n: (tmp_path / "p" / n).read_bytes() for n in FILES} == before


def test_openclaw_manifest_declares_the_middleware_contract_and_startup() -> None:
    files = render(MANIFEST)
    manifest = json.loads(files["openclaw.plugin.json"])
    assert manifest == {
        "id": "migrator-session-status",
        "name": "migrator: session-status",
        "description": "Shows agents the session-status rename in sessions_list results and their prompt",
        "activation": {"onStartup": True},
        "contracts": {"agentToolResultMiddleware": ["openclaw"]},
        "configSchema": {"type": "object", "additionalProperties": False},
    }
    package = json.loads(files["package.json"])
    assert package["type"] == "module"
    assert package["openclaw"] == {"extensions": ["./index.js"]}
    assert package["name"] == plugin_id(MANIFEST) == manifest["id"]


def test_index_js_is_the_template_with_the_plan_written_in() -> None:
    index = render(MANIFEST)["index.js"]
    template = (REPO / "migrator" / "plugin" / "templates" / "index.js").read_bytes()
    assert PLAN_MARKER.encode() not in index
    assert _plan_in(index) == plan(MANIFEST, PluginOptions())
    head, tail = template.split(PLAN_MARKER.encode())
    assert index.startswith(head) and index.endswith(tail)


def test_plan_carries_the_manifest_not_literals() -> None:
    data = plan(MANIFEST, PluginOptions())
    vocabulary = MANIFEST.vocabulary
    assert data["walk"] == {"new": dict(vocabulary.old_to_new), "old": vocabulary.new_to_old}
    assert data["tool"] == "sessions_list"
    assert data["pointers"] == ["/details/sessions/*/status"]
    assert data["textPointers"] == ["/sessions/*/status"]
    assert MANIFEST.agent is not None
    assert data["resumable"] == {
        "new": list(MANIFEST.agent.resumable),
        "old": [vocabulary.to_old(v) for v in MANIFEST.agent.resumable],
    }
    assert data["guidance"] == MANIFEST.agent.guidance and data["note"] == MANIFEST.agent.note
    assert data["fingerprint"] == MANIFEST.fingerprint


@pytest.mark.parametrize("annotate", [False, True])
def test_schedule_table_is_negotiate_at_every_version(annotate: bool) -> None:
    table, unknown = schedule_table(MANIFEST, PluginOptions(annotate))
    caps = () if annotate else (MANIFEST.capability,)
    assert unknown == negotiate(MANIFEST, gateway_version=None, caps=caps).client
    for text in ["2026.4.12", "2026.9.6", "2026.12.31-1", "2027.1.0-beta.1", "2027.1.0", "2027.3.9",
                 "2027.4.0-alpha.1", "2027.4.0", "2028.1.1"]:
        version = Version(text.replace("-beta.", "b").replace("-alpha.", "a"))
        steps = [s for s in table if s["from"] is None or version >= Version(str(s["from"]))]
        assert steps[-1]["vocabulary"] == negotiate(MANIFEST, gateway_version=version, caps=caps).client, text


def test_new_names_by_default_old_names_with_resumable_until_sunset() -> None:
    table, unknown = schedule_table(MANIFEST, PluginOptions(annotate=False))
    assert [s["vocabulary"] for s in table] == ["new", "new", "new"] and unknown == "new"
    table, unknown = schedule_table(MANIFEST, PluginOptions(annotate=True))
    assert [(s["from"], s["vocabulary"]) for s in table] == [(None, "old"), ("2027.1.0", "old"), ("2027.4.0", "new")]
    assert unknown == "old"


def test_a_manifest_without_an_agent_table_is_refused(tmp_path: Path) -> None:
    source = (REPO / "migrator" / "renames" / "session_status.toml").read_text("utf-8")
    trimmed = source[: source.index("[surfaces.agent]")]
    path = tmp_path / "rename.toml"
    path.write_text(trimmed, "utf-8")
    with pytest.raises(ConfigError, match=r"needs a \[surfaces.agent\] table"):
        render(load_manifest(path))


def test_manifest_agent_values_must_be_new_names(tmp_path: Path) -> None:
    source = (REPO / "migrator" / "renames" / "session_status.toml").read_text("utf-8")
    path = tmp_path / "rename.toml"
    path.write_text(source.replace('resumable = ["interrupted"', 'resumable = ["failed"'), "utf-8")
    with pytest.raises(ConfigError, match=r"surfaces.agent.resumable' holds values that are not new names: \['failed'\]"):
        load_manifest(path)
    path.write_text(source.replace("{resumable} sessions", "these sessions"), "utf-8")
    with pytest.raises(ConfigError, match=r"surfaces.agent.guidance' must name the values as \{resumable\}"):
        load_manifest(path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give a DIRECTORY to write the plugin into, or --install / --uninstall"),
        (["--install", "--uninstall"], "--install and --uninstall exclude each other"),
        (["--uninstall", "--resumable"], "--uninstall takes neither DIRECTORY nor --resumable"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = run_cli("plugin", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert not any(tmp_path.iterdir())


def test_a_missing_state_dir_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    done = run_cli("plugin", "--install", "--state-dir", str(missing), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"migrator: error: {missing}: not an OpenClaw state dir (no such directory)"


def test_state_dir_defaults_to_the_environment(tmp_path: Path) -> None:
    missing = tmp_path / "from-env"
    done = run_cli("plugin", "--uninstall", cwd=tmp_path, env={"OPENCLAW_STATE_DIR": str(missing)})
    assert done.returncode == 2
    assert done.stderr.strip() == f"migrator: error: {missing}: not an OpenClaw state dir (no such directory)"


def test_uninstall_of_a_plugin_not_installed_changes_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "openclaw.json").write_text("{}\n")
    done = run_cli("plugin", "--uninstall", "--state-dir", str(state), cwd=tmp_path)
    assert done.returncode == 2
    where = state / "extensions" / "migrator-session-status"
    assert done.stderr.strip() == f"migrator: error: {where}: plugin migrator-session-status is not installed in this state dir"
    assert [p.name for p in state.iterdir()] == ["openclaw.json"]


def test_install_without_openclaw_cli_says_how_to_point_at_it(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    done = run_cli("plugin", "--install", "--state-dir", str(state), "--openclaw", "no-such-openclaw-cli",
                   cwd=tmp_path, env={"PATH": os.defpath})
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "migrator: error: no-such-openclaw-cli: OpenClaw's CLI not found; pass --openclaw with the command that runs it"
    )
    assert not any(state.iterdir())


def test_another_manifest_gives_another_schedule(tmp_path: Path) -> None:
    source = (REPO / "migrator" / "renames" / "session_status.toml").read_text("utf-8")
    path = tmp_path / "rename.toml"
    path.write_text(source.replace('introduced = "2027.1.0"', 'introduced = "2026.1.0"')
                    .replace('sunset = "2027.4.0"', 'sunset = "2026.4.0"'), "utf-8")
    done = run_cli("plugin", str(tmp_path / "p"), "--resumable", "--manifest", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = _plan_in((tmp_path / "p" / "index.js").read_bytes())
    assert data["schedule"] == [
        {"from": None, "vocabulary": "old"},
        {"from": "2026.1.0", "vocabulary": "old"},
        {"from": "2026.4.0", "vocabulary": "new"},
    ]
    assert data["fingerprint"] == load_manifest(path).fingerprint != MANIFEST.fingerprint


def test_an_unreadable_manifest_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "none.toml"
    done = run_cli("plugin", str(tmp_path / "p"), "--manifest", str(missing), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(f"migrator: error: {missing}: cannot read manifest:")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "p").exists()
