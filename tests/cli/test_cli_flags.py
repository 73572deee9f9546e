"""The flags ruff and black users reach for, each through a real subprocess
of the CLI: the exact lines printed, the exit code, and files left as they
were where they must be."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_cli, snapshot

MONITOR = "orchestrator/monitor.py"
SHORT = [
    f"{MONITOR}:6:13: status-constant [certain, rewrite] 'done' -> 'agent_responded'",
    f"{MONITOR}:6:21: status-constant [certain, rewrite] 'failed' -> 'interrupted'",
    f"{MONITOR}:6:31: status-constant [certain, rewrite] 'timeout' -> 'waiting_for_response'",
    f"{MONITOR}:6:42: status-constant [certain, rewrite] 'killed' -> 'halted'",
    f"{MONITOR}:18:33: status-compare [certain, rewrite] 'timeout' -> 'waiting_for_response'",
]
SUMMARY = "6 files scanned, 5 findings: 5 to rewrite, 0 to review (expand phase)"
SNIPPET = (
    'from client import invoke\n\nfor row in invoke("sessions_list")["details"]["sessions"]:\n'
    '    if row["status"] == "failed":\n        print(row)\n'
)


def _run_stdin(*args: str, data: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CI", None)
    return subprocess.run([sys.executable, "-m", "migrator", *args], cwd=cwd, env=env, input=data,
                          capture_output=True, text=True, timeout=120)


def test_default_output_is_one_short_line_per_finding(demo: Path) -> None:
    result = run_cli("scan", ".", cwd=demo)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [*SHORT, SUMMARY]


def test_quiet_prints_findings_only(demo: Path) -> None:
    result = run_cli("scan", ".", "-q", cwd=demo)
    assert result.returncode == 1
    assert result.stdout.splitlines() == SHORT
    assert result.stderr == ""


def test_verbose_says_which_config_and_what_the_cache_did(demo: Path) -> None:
    result = run_cli("scan", ".", "--verbose", "--no-cache", cwd=demo)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"config: {demo / 'pyproject.toml'}; phase expand (target-version 2026.9.6 (sunset 2027.4.0)); cache off",
        "6 files claimed, 2 past the prefilter, 0 from the cache, 2 analysed",
    ]
    assert not (demo / ".migrator" / "cache").exists()  # --no-cache neither reads nor writes it


def test_quiet_and_verbose_exclude_each_other(demo: Path) -> None:
    result = run_cli("scan", ".", "-q", "-v", cwd=demo)
    assert result.returncode == 2
    assert result.stderr == "migrator: error: --quiet and --verbose exclude each other\n"


def test_statistics_count_per_rule_and_per_kind(demo: Path) -> None:
    result = run_cli("scan", ".", "--statistics", cwd=demo)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "by rule:", "  4  status-constant", "  1  status-compare", "by kind:", "  5  python", SUMMARY,
    ]


def test_exclude_and_extend_exclude(demo: Path) -> None:
    config = demo / "pyproject.toml"
    config.write_text(config.read_text() + 'exclude = ["orchestrator/"]\n')
    assert run_cli("scan", ".", cwd=demo).returncode == 0
    # --exclude replaces the configured globs; --extend-exclude adds to them.
    replaced = run_cli("scan", ".", "--exclude", "jobs/", cwd=demo)
    assert replaced.returncode == 1 and replaced.stdout.splitlines()[:5] == SHORT
    extended = run_cli("scan", ".", "--exclude", "jobs/", "--extend-exclude", "orchestrator/monitor.py", cwd=demo)
    assert extended.returncode == 0
    assert extended.stdout == "3 files scanned, 0 findings: 0 to rewrite, 0 to review (expand phase)\n"


def test_config_path_is_read_instead_of_the_nearest(demo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text('[tool.migrator]\nphase = "contract"\n')
    result = run_cli("scan", ".", "--config", str(other), cwd=demo)
    assert result.stdout.splitlines()[-1].endswith("(contract phase)")
    missing = run_cli("scan", ".", "--config", "nope.toml", cwd=demo)
    assert missing.returncode == 2
    assert missing.stderr == "migrator: error: nope.toml: configuration file not found\n"


def _tty(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """stdout of the CLI on a pseudo-terminal, as a person sees it."""
    leader, follower = pty.openpty()
    full = {**os.environ, "PYTHONPATH": str(REPO), "CI": "1", **env}
    proc = subprocess.Popen([sys.executable, "-m", "migrator", *args], cwd=cwd, env=full, stdout=follower,
                            stderr=subprocess.DEVNULL)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(leader)
    return out.decode()


def test_colour_on_a_terminal_and_never_with_no_color(demo: Path) -> None:
    coloured = _tty(["scan", "."], demo, {})
    assert "\x1b[1m" + MONITOR + ":6:13" in coloured
    plain = _tty(["scan", "."], demo, {"NO_COLOR": "1"})
    assert "\x1b[" not in plain
    assert SHORT[0] in plain
    piped = run_cli("scan", ".", cwd=demo)
    assert "\x1b[" not in piped.stdout


def test_stdin_scan_uses_the_path_for_engine_and_config(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "pyproject.toml").write_text('[tool.migrator]\nphase = "contract"\n')
    result = _run_stdin("scan", "-", "--stdin-filename", "app/poll.py", data=SNIPPET, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "app/poll.py:4:25: status-compare [certain, rewrite] 'failed' -> 'interrupted'",
        "1 file scanned, 1 finding: 1 to rewrite, 0 to review (contract phase)",
    ]
    assert not (tmp_path / "app" / "poll.py").exists()
    # The same bytes named as a file no engine reads are not looked at.
    other = _run_stdin("scan", "-", "--stdin-filename", "poll.rs", data=SNIPPET, cwd=tmp_path)
    assert other.returncode == 0
    assert other.stdout == "0 files scanned, 0 findings: 0 to rewrite, 0 to review (expand phase)\n"


def test_stdin_apply_prints_the_new_file(tmp_path: Path) -> None:
    result = _run_stdin("apply", "-", "--stdin-filename", "poll.py", data=SNIPPET, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == SNIPPET.replace('== "failed"', 'in ("failed", "interrupted")')
    assert result.stderr == "1 file scanned, 1 finding: 1 to rewrite, 0 to review (expand phase)\n"
    check = _run_stdin("apply", "-", "--check", "--stdin-filename", "poll.py", data=SNIPPET, cwd=tmp_path)
    assert check.returncode == 1
    assert check.stdout == ""
    assert check.stderr == "would rewrite poll.py\n1 file would be rewritten, 0 files would be left unchanged.\n"
    # Nothing to change: the input comes back as it was.
    same = _run_stdin("apply", "-", "--stdin-filename", "main.rs", data="nothing here\n", cwd=tmp_path)
    assert same.returncode == 0 and same.stdout == "nothing here\n"
    # A file that does not parse comes back unchanged too (exit 3): an editor never gets an empty buffer.
    broken = _run_stdin("apply", "-", "--stdin-filename", "poll.py", data='if s == "done" (\n', cwd=tmp_path)
    assert broken.returncode == 3
    assert broken.stdout == 'if s == "done" (\n'
    assert broken.stderr.splitlines()[0].startswith("error: poll.py: ")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("scan", "-"), "'-' needs --stdin-filename PATH (the path picks the engine and the configuration)"),
        (("scan", "-", "a.py", "--stdin-filename", "a.py"), "'-' (standard input) cannot be mixed with other paths"),
        (("scan", ".", "--stdin-filename", "a.py"), "--stdin-filename needs '-' as the path"),
    ],
)
def test_stdin_usage_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = _run_stdin(*args, data="", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"migrator: error: {message}\n"


def test_check_prints_what_black_prints(demo: Path) -> None:
    before = snapshot(demo)
    check = run_cli("apply", ".", "--check", cwd=demo)
    assert check.returncode == 1
    assert check.stdout == ""
    assert check.stderr == f"would rewrite {MONITOR}\n1 file would be rewritten, 5 files would be left unchanged.\n"
    diff = run_cli("apply", ".", "--check", "--diff", cwd=demo)
    assert diff.returncode == 1
    assert diff.stdout.startswith(f"--- a/{MONITOR}\n+++ b/{MONITOR}\n")
    assert diff.stderr == check.stderr
    assert snapshot(demo) == before
    assert run_cli("apply", ".", "--write", cwd=demo).returncode == 0
    clean = run_cli("apply", ".", "--check", cwd=demo)
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "", "6 files would be left unchanged.\n")


def test_apply_help_says_the_dry_run_exits_0(tmp_path: Path) -> None:
    result = run_cli("apply", "--help", cwd=tmp_path)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "Without --check or --write: print the diff, change nothing and exit 0" in text
    assert "--state-dir DIR" in text and "(DIR is required; see --default-state-dir)" in text


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True,
                   capture_output=True)


def test_write_refuses_files_with_uncommitted_changes(demo: Path) -> None:
    _git(demo, "init", "-q")
    _git(demo, "add", ".")
    _git(demo, "commit", "-qm", "start")
    monitor = demo / MONITOR
    monitor.write_text(monitor.read_text() + "# my own edit\n")
    before = snapshot(demo)
    refused = run_cli("apply", ".", "--write", cwd=demo)
    assert refused.returncode == 2
    assert refused.stderr == (
        f"migrator: error: {MONITOR} has uncommitted changes; commit or stash them first, or pass --allow-dirty\n"
    )
    assert snapshot(demo) == before
    allowed = run_cli("apply", ".", "--write", "--allow-dirty", cwd=demo)
    assert allowed.returncode == 0, allowed.stderr
    assert f"rewrote {MONITOR}" in allowed.stderr
    # Committed first: no flag needed. Unrelated dirty files do not count.
    _git(demo, "checkout", "-q", "--", ".")
    (demo / "jobs" / "runner.py").write_text("# unrelated edit\n")
    assert run_cli("apply", ".", "--write", cwd=demo).returncode == 0


def test_state_dir_takes_a_required_value(tmp_path: Path) -> None:
    result = run_cli("scan", "--state-dir", "--format", "json", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "migrator: error: --state-dir needs a directory, not '--format' (for the default one: --default-state-dir)\n"
    )
    alone = run_cli("scan", "--state-dir", cwd=tmp_path)
    assert alone.returncode == 2
    assert "Option '--state-dir' requires an argument." in alone.stderr
    state = tmp_path / "empty-state"
    state.mkdir()
    default = run_cli("scan", "--default-state-dir", cwd=tmp_path, env={"OPENCLAW_STATE_DIR": str(state)})
    assert default.returncode == 0, default.stderr
    assert default.stdout == "0 files scanned, 0 findings: 0 to rewrite, 0 to review (expand phase)\n"


def test_report_into_a_missing_directory_is_a_usage_error(demo: Path) -> None:
    before = snapshot(demo)
    result = run_cli("scan", ".", "-o", "/no/such/dir/out.txt", cwd=demo)
    assert result.returncode == 2
    assert result.stderr == "migrator: error: /no/such/dir/out.txt: cannot write the report: no such directory\n"
    assert result.stdout == ""
    assert snapshot(demo) == before


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('cache = "no"', "[tool.migrator] key 'cache' must be true or false, not \"no\""),
        ("target-version = 2026", "[tool.migrator] key 'target-version' must be a string such as \"2026.9.6\", not 2026"),
        ("respect-gitignore = 1", "[tool.migrator] key 'respect-gitignore' must be true or false, not 1"),
        ("gateway-version = 2027.1", "[tool.migrator] key 'gateway-version' must be a string such as \"2026.9.6\", not 2027.1"),
        ("phase = 3", "[tool.migrator] key 'phase' must be one of expand, contract, not 3"),
        ('include = [1]', "[tool.migrator] key 'include' must be a list of strings"),
        ('exclued = ["x"]', "[tool.migrator] unknown key 'exclued', did you mean 'exclude'? (known: cache, data, "
                            "exclude, gateway-version, include, markers, min-confidence, phase, respect-gitignore, "
                            "target-version, text)"),
        ("[[tool.migrator.data]]\npath = ['a.json']\npointers = ['/status']",
         "[[tool.migrator.data]] entry 1 unknown key 'path', did you mean 'paths'? (known: format, paths, pointers)"),
    ],
)
def test_config_values_are_checked_naming_the_key(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.migrator]\n{line}\n")
    (tmp_path / "a.py").write_text(SNIPPET)
    before = snapshot(tmp_path)
    result = run_cli("apply", ".", "--write", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"migrator: error: {tmp_path / 'pyproject.toml'}: {message}\n"
    assert snapshot(tmp_path) == before


def test_explain_suggests_the_rule_meant(tmp_path: Path) -> None:
    result = run_cli("explain", "status-compar", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("migrator: error: unknown rule 'status-compar', did you mean 'status-compare'? (known: ")
    assert len(result.stderr.splitlines()) == 1
