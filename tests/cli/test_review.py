"""What a newcomer hit trying every command: each case through the real CLI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import run_cli


def test_plugin_never_overwrites_a_projects_own_files(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "my-app"}\n', "utf-8")
    (tmp_path / "index.js").write_text("console.log(1)\n", "utf-8")
    done = run_cli("plugin", ".", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == ("migrator: error: package.json: exists and is not this plugin's; "
                           "write the plugin into a new or empty directory\n")
    assert (tmp_path / "package.json").read_text("utf-8") == '{"name": "my-app"}\n'
    assert (tmp_path / "index.js").read_text("utf-8") == "console.log(1)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.js", "package.json"]


def test_plugin_into_a_directory_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", "utf-8")
    done = run_cli("plugin", "file/sub", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "migrator: error: file/sub: cannot write the plugin: Not a directory\n"


YAML_RULE = """[tool.migrator]
target-version = "2026.9.6"

[[tool.migrator.data]]
paths = ["exports/*.yaml"]
pointers = ["/sessions/*/status"]
"""


def _yaml_project(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(YAML_RULE, "utf-8")
    (tmp_path / "exports").mkdir()
    path = tmp_path / "exports" / "s.yaml"
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize(("text", "message"), [
    ("defaults: &d\n  status: done\nsessions:\n  - <<: *d\n    key: a\n",
     "the value at /sessions/0/status (line 4) comes from a YAML merge key (`<<`): "),
    # /other/keep/status reads the same node: no pointer names it, so nothing changes.
    ("sessions:\n  - &s\n    status: done\nother:\n  keep: *s\n",
     "the value at /sessions/0/status is also read at /other/keep/status through a YAML alias, "
     "which no pointer names: "),
])
def test_a_yaml_value_shared_beyond_the_pointers_is_refused_by_name(tmp_path: Path, text: str, message: str) -> None:
    path = _yaml_project(tmp_path, text)
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 3
    assert done.stderr.splitlines()[0] == (
        f"error: exports/s.yaml: {message}a value shared through YAML anchors and aliases is not edited in place; "
        "change it by hand")
    assert path.read_text("utf-8") == text


def test_json_with_an_integer_past_64_bits_is_migrated_and_keeps_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.migrator]\n[[tool.migrator.data]]\npaths = ["*.json"]\npointers = ["/0"]\n', "utf-8")
    (tmp_path / "a.json").write_text('["done", -9223372036854775809]\n', "utf-8")
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "a.json").read_text("utf-8") == '["agent_responded", -9223372036854775809]\n'


def test_a_bad_jsonl_line_is_named_once_with_its_column(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.migrator]\n[[tool.migrator.data]]\npaths = ["*.jsonl", "*.json"]\npointers = ["/status"]\n', "utf-8")
    (tmp_path / "x.jsonl").write_text('{"status":"done"}\n{"status": "failed"\n', "utf-8")
    (tmp_path / "y.json").write_text('{"status": "done",}', "utf-8")
    done = run_cli("scan", ".", cwd=tmp_path)
    assert done.returncode == 3
    assert [line for line in done.stderr.splitlines() if line.startswith("error:")] == [
        "error: x.jsonl: line 2 is not valid JSON: Expecting ',' delimiter (column 20); file left unchanged, "
        "fix or remove the line and run again",
        "error: y.json: invalid JSON: Expecting property name enclosed in double quotes (line 1, column 19)",
    ]


def test_write_names_the_journal_directory(demo: Path) -> None:
    done = run_cli("apply", ".", "--write", cwd=demo)
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stderr.splitlines() if " rewritten; journal " in line]
    run_id = line.split("; journal ")[1].split(" ")[0]
    assert line.startswith(f"1 file rewritten; journal {run_id} in .migrator/journal. ")
    assert (demo / ".migrator" / "journal" / run_id).is_dir()


def test_rollback_names_the_option_whose_directory_is_missing(tmp_path: Path) -> None:
    done = run_cli("rollback", "--state-dir", "nowhere", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == "Error: Invalid value for --state-dir: nowhere: no such file or directory"
    done = run_cli("rollback", "--default-state-dir", cwd=tmp_path, env={"OPENCLAW_STATE_DIR": str(tmp_path / "none")})
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        f"Error: Invalid value for --default-state-dir: {tmp_path / 'none'}: no such file or directory")


def test_a_bad_version_on_the_command_line_is_blamed_on_its_option(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\n", "utf-8")
    for option in ("--target-version", "--gateway-version"):
        done = run_cli("scan", ".", option, "banana", cwd=tmp_path)
        assert done.returncode == 2
        assert done.stderr == f"migrator: error: {option}: not an OpenClaw version: 'banana'\n"
    (tmp_path / "pyproject.toml").write_text('[tool.migrator]\ngateway-version = "banana"\n', "utf-8")
    done = run_cli("scan", ".", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (f"migrator: error: {tmp_path / 'pyproject.toml'}: [tool.migrator] key 'gateway-version': "
                           "not an OpenClaw version: 'banana'\n")


def test_a_directory_that_cannot_be_read_is_named_not_skipped(tmp_path: Path) -> None:
    # Past PATH_MAX a directory cannot be listed, by root too (unlike chmod 000).
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\n", "utf-8")
    (tmp_path / "ok.py").write_text('data = invoke("sessions_list")\nfor row in data["sessions"]:\n'
                                    '    if row["status"] == "done":\n        pass\n', "utf-8")
    fd = os.open(tmp_path, os.O_RDONLY)
    for _ in range(18):
        os.mkdir("d" * 250, dir_fd=fd)
        deeper = os.open("d" * 250, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = deeper
    os.close(fd)
    done = run_cli("scan", ".", cwd=tmp_path)
    assert done.returncode == 3
    [error] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith("error: ddd") and error.endswith(": cannot read directory: File name too long")
    assert done.stdout.startswith("ok.py:3:")


def test_plugin_takes_default_state_dir_as_the_other_commands_do(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    done = run_cli("plugin", "--uninstall", "--default-state-dir", cwd=tmp_path, env={"OPENCLAW_STATE_DIR": str(missing)})
    assert done.returncode == 2
    assert done.stderr == f"migrator: error: {missing}: not an OpenClaw state dir (no such directory)\n"
    done = run_cli("plugin", "--uninstall", "--default-state-dir", "--state-dir", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == "Error: --state-dir DIR and --default-state-dir exclude each other"


def test_a_data_finding_keeps_the_documented_path_line_column_prefix(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.migrator]\n[[tool.migrator.data]]\npaths = ["*.json"]\npointers = ["/sessions/*/status"]\n', "utf-8")
    (tmp_path / "s.json").write_text('{"sessions": [\n  {"status": "done"}\n]}\n', "utf-8")
    done = run_cli("scan", ".", "-q", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == "s.json:2:14: data-rule [certain, rewrite] 'done' -> 'agent_responded' at /sessions/0/status\n"


def test_a_missing_path_is_counted_as_not_found(demo: Path) -> None:
    done = run_cli("scan", "nosuch", "jobs", cwd=demo)
    assert done.returncode == 2
    assert done.stderr == "error: nosuch: no such file or directory\n"
    assert done.stdout.splitlines()[-1] == ("2 files scanned, 0 findings: 0 to rewrite, 0 to review (expand phase); "
                                            "1 path not found")


def test_text_only_flags_with_another_format_are_a_usage_error(demo: Path) -> None:
    done = run_cli("scan", ".", "--format", "json", "--statistics", cwd=demo)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1] == "Error: --statistics applies to the text format only, not --format json"
    done = run_cli("scan", ".", "--format", "sarif", "--show-why", cwd=demo)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == "Error: --show-why applies to the text format only, not --format sarif"


def test_quiet_write_prints_nothing_when_all_goes_well(demo: Path) -> None:
    done = run_cli("apply", ".", "--write", "-q", cwd=demo)
    assert done.returncode == 0
    assert (done.stdout, done.stderr) == ("", "")
    assert "agent_responded" in (demo / "orchestrator" / "monitor.py").read_text("utf-8")


def test_rollback_takes_quiet_as_scan_and_apply_do(demo: Path) -> None:
    before = (demo / "orchestrator" / "monitor.py").read_bytes()
    assert run_cli("apply", ".", "--write", cwd=demo).returncode == 0
    done = run_cli("rollback", "-q", cwd=demo)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert (demo / "orchestrator" / "monitor.py").read_bytes() == before


def test_state_dir_that_is_no_state_dir_is_said(demo: Path) -> None:
    done = run_cli("scan", "--state-dir", "pyproject.toml", cwd=demo)
    assert (done.returncode, done.stderr) == (2, "migrator: error: --state-dir pyproject.toml: not a directory\n")
    done = run_cli("apply", "--write", "--state-dir", "jobs", cwd=demo)
    assert (done.returncode, done.stderr.splitlines()[0]) == (
        0, "warning: --state-dir jobs: not an OpenClaw state dir (neither openclaw.json nor agents/ in it); "
           "no session store found")
    done = run_cli("scan", "--default-state-dir", cwd=demo, env={"OPENCLAW_STATE_DIR": str(demo / "jobs")})
    assert done.returncode == 0
    assert done.stderr == (f"warning: --default-state-dir {demo / 'jobs'}: not an OpenClaw state dir "
                           "(neither openclaw.json nor agents/ in it); no session store found\n")
