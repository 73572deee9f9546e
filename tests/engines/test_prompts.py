"""The text engine on realistic prompt files, through the real CLI.

Fixtures: ``fixtures/prompts`` (an orchestrator's prompts, tools, skills, a
workspace, innocent prose), and ``fixtures/prompts-expected/contract`` (the
files after ``apply --phase contract --write``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_cli, snapshot

EXPECTED = FIXTURES / "prompts-expected" / "contract"

# (path, line, column, rule, old, confidence): every finding of a scan, in order.
FINDINGS = [
    ("AGENTS.md", 11, 7, "prompt-status", "done", "likely"),
    ("AGENTS.md", 12, 7, "prompt-status", "failed", "likely"),
    ("AGENTS.md", 13, 7, "prompt-status", "killed", "likely"),
    ("AGENTS.md", 14, 30, "prompt-status", "timeout", "likely"),
    ("AGENTS.md", 15, 29, "prompt-respawn", "failed", "likely"),
    ("AGENTS.md", 15, 29, "prompt-status", "failed", "likely"),
    ("AGENTS.md", 18, 48, "prompt-status", "done", "certain"),
    ("AGENTS.md", 18, 54, "prompt-status", "failed", "certain"),
    ("AGENTS.md", 18, 62, "prompt-status", "killed", "certain"),
    ("AGENTS.md", 18, 73, "prompt-status", "timeout", "certain"),
    ("AGENTS.md", 19, 19, "prompt-status", "done", "likely"),
    ("AGENTS.md", 31, 50, "status-compare", "done", "certain"),
    ("AGENTS.md", 32, 62, "status-membership", "failed", "certain"),
    ("AGENTS.md", 32, 72, "status-membership", "killed", "certain"),
    ("AGENTS.md", 41, 51, "prompt-json", "done", "likely"),
    # The project's README names OpenClaw and lists session statuses: for review.
    ("README.md", 4, 13, "prompt-status", "done", "likely"),
    ("README.md", 4, 21, "prompt-status", "failed", "likely"),
    ("README.md", 4, 31, "prompt-status", "killed", "likely"),
    ("README.md", 4, 44, "prompt-status", "timeout", "likely"),
    ("TOOLS.md", 6, 69, "prompt-status", "done", "certain"),
    ("TOOLS.md", 7, 2, "prompt-status", "failed", "certain"),
    ("TOOLS.md", 7, 12, "prompt-status", "killed", "certain"),
    ("TOOLS.md", 7, 24, "prompt-status", "timeout", "certain"),
    ("prompts/triage.md", 5, 27, "prompt-status", "failed", "certain"),
    ("prompts/triage.md", 7, 22, "prompt-status", "done", "likely"),
    ("prompts/triage.md", 7, 32, "prompt-status", "killed", "likely"),
    ("prompts/triage.md", 8, 59, "prompt-status", "failed", "certain"),
    ("skills/watchdog/SKILL.md", 13, 4, "prompt-status", "done", "likely"),
    ("skills/watchdog/SKILL.md", 14, 4, "prompt-status", "timeout", "likely"),
    ("skills/watchdog/SKILL.md", 15, 4, "prompt-status", "killed", "likely"),
    ("skills/watchdog/SKILL.md", 17, 27, "prompt-respawn", "timeout", "likely"),
    ("skills/watchdog/SKILL.md", 17, 27, "prompt-status", "timeout", "certain"),
    ("skills/watchdog/SKILL.md", 25, 30, "status-membership", "timeout", "likely"),
    ("skills/watchdog/SKILL.md", 25, 41, "status-membership", "failed", "likely"),
    ("state/workspace/HEARTBEAT.md", 3, 70, "prompt-status", "killed", "certain"),
    ("state/workspace/HEARTBEAT.md", 4, 5, "prompt-status", "failed", "certain"),
]
# Full of "done", "failed", "timeout" and "killed" in English, or in other
# vocabularies: never a finding, never changed.
INNOCENT = ["SOUL.md", "skills/release-notes/SKILL.md", "state/workspace/memory/2026-09-14.md"]
# Documentation that does not name OpenClaw: another project's words.
NOT_PROMPTS = ["docs/notes.md"]


@pytest.fixture
def prompts(tmp_path: Path) -> Path:
    """A private copy of fixtures/prompts."""
    target = tmp_path / "prompts"
    shutil.copytree(FIXTURES / "prompts", target, ignore=shutil.ignore_patterns(".migrator"))
    return target


def _scan(root: Path, *args: str) -> tuple[int, dict]:
    proc = run_cli("scan", "--format", "json", *args, ".", cwd=root)
    return proc.returncode, json.loads(proc.stdout)


def _text_findings(document: dict) -> list[tuple]:
    return [
        (f["path"], f["line"], f["column"], f["rule"], f["old"], f["confidence"])
        for f in document["findings"]
        if f["kind"] == "text"
    ]


def test_scan_reports_exactly_the_status_contexts(prompts: Path) -> None:
    code, document = _scan(prompts)
    assert code == 1
    assert _text_findings(document) == FINDINGS
    assert all(f["action"] == "review" for f in document["findings"])  # review by default
    paths = {f["path"] for f in document["findings"]}
    assert not paths & set(INNOCENT + NOT_PROMPTS)
    assert document["notes"] == []  # the one suppression is used


def test_respawn_finding_explains_the_last_turn_and_suggests_a_sentence(prompts: Path) -> None:
    _, document = _scan(prompts)
    respawn = [f for f in document["findings"] if f["rule"] == "prompt-respawn"]
    assert [(f["path"], f["line"]) for f in respawn] == [("AGENTS.md", 15), ("skills/watchdog/SKILL.md", 17)]
    why = respawn[0]["why"]
    assert "describes only the last turn" in why
    assert "`sessions_send` resumes the session" in why
    assert 'add: "A session\'s `status` describes only its last turn' in why


def test_contract_write_rewrites_values_and_leaves_every_other_byte(prompts: Path) -> None:
    before = snapshot(prompts)
    proc = run_cli("apply", "--phase", "contract", "--write", ".", cwd=prompts)
    assert proc.returncode == 0, proc.stderr
    after = snapshot(prompts)
    expected = {p.relative_to(EXPECTED).as_posix(): p.read_bytes() for p in EXPECTED.rglob("*") if p.is_file()}
    for rel, data in after.items():
        assert data == expected.get(rel, before[rel]), rel
    assert set(after) == set(before)
    # A second run has nothing left to rewrite.
    again = run_cli("apply", "--phase", "contract", "--check", ".", cwd=prompts)
    assert again.returncode == 0, again.stdout


def test_default_apply_changes_nothing(prompts: Path) -> None:
    before = snapshot(prompts)
    proc = run_cli("apply", "--write", ".", cwd=prompts)  # expand: prompts are reviewed
    assert proc.returncode == 0, proc.stderr
    assert snapshot(prompts) == before


def test_crlf_prompts_keep_their_line_breaks(prompts: Path) -> None:
    for name in ("AGENTS.md", "prompts/triage.md"):
        path = prompts / name
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    _, document = _scan(prompts)
    assert _text_findings(document) == FINDINGS
    proc = run_cli("apply", "--phase", "contract", "--write", ".", cwd=prompts)
    assert proc.returncode == 0, proc.stderr
    for name in ("AGENTS.md", "prompts/triage.md"):
        assert (prompts / name).read_bytes() == (EXPECTED / name).read_bytes().replace(b"\n", b"\r\n")


def test_non_utf8_prompt_is_one_line_error_and_exit_3(prompts: Path) -> None:
    (prompts / "SOUL.md").write_bytes("Caf\xe9 rules: a session status of `done` is final.\n".encode("latin-1"))
    before = snapshot(prompts)
    proc = run_cli("apply", "--phase", "contract", "--write", ".", cwd=prompts)
    assert proc.returncode == 3
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: SOUL.md: not valid UTF-8 (byte 3); save it as UTF-8 or exclude it"]
    assert "Traceback" not in proc.stderr
    assert snapshot(prompts)["SOUL.md"] == before["SOUL.md"]


def test_name_both_in_expand_only_when_asked(prompts: Path) -> None:
    config = prompts / "pyproject.toml"
    config.write_text(config.read_text() + "name-both = true\n")
    proc = run_cli("apply", "--write", "prompts/triage.md", cwd=prompts)
    assert proc.returncode == 0, proc.stderr
    assert (prompts / "prompts/triage.md").read_text() == (
        "# Triage prompt\n\n"
        "You triage the crew after a gateway restart. Call `sessions_list`.\n\n"
        "- A session with `status: failed` lost its run in the restart. Resume it: use\n"
        "  `sessions_send` with \"continue where you left off\".\n"
        "- Sessions that are 'done' / 'agent_responded' or 'killed' / 'halted' stay as they are.\n"
        "- Never spawn a new session for a worker whose status is `failed` / `interrupted`; resume it.\n"
    )
    # Idempotent, and contract after expand is contract.
    assert run_cli("apply", "--check", "prompts/triage.md", cwd=prompts).returncode == 0
    proc = run_cli("apply", "--phase", "contract", "--write", "prompts/triage.md", cwd=prompts)
    assert proc.returncode == 0, proc.stderr
    assert (prompts / "prompts/triage.md").read_bytes() == (EXPECTED / "prompts/triage.md").read_bytes()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("colour = 1\n", "[tool.migrator.text] unknown key 'colour' (known: name-both, paths)"),
        ("name-both = 'yes'\n", "[tool.migrator.text] key 'name-both' must be true or false"),
        ("paths = 3\n", "[tool.migrator] key 'text.paths' must be a list of strings"),
    ],
)
def test_bad_text_config_is_one_line_naming_the_key(prompts: Path, table: str, message: str) -> None:
    config = prompts / "pyproject.toml"
    text = config.read_text().replace('paths = ["prompts/*.md"]\n', "")
    config.write_text(text + table)
    proc = run_cli("scan", ".", cwd=prompts)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("migrator: error: ") and "pyproject.toml: " in lines[0]
    assert lines[0].endswith(message)


DOCS_README = """\
# Session board

A dashboard for OpenClaw sessions.

The table colours rows by session status: green for `done`, red for `failed` and `timeout`.

The nightly job is done by 06:00. Build failed? Rerun it.
"""


def test_markdown_docs_of_an_openclaw_project_are_listed_for_review(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(DOCS_README)
    (tmp_path / "docs" / "ops.md").write_text("# Ops\n\nThe nightly job is done by 06:00.\nBuild failed? Check the logs.\n"
                                              "OpenClaw is restarted at noon.\n")
    # Another project's docs (no word of OpenClaw): its `done` is its own.
    (tmp_path / "docs" / "jobs.md").write_text("# Jobs\n\nThe job status is `done` or `failed`.\n")
    before = snapshot(tmp_path)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.returncode == 1, scan.stderr
    assert scan.stdout.splitlines() == [
        "to review (3):",
        "README.md:5:54: prompt-status [certain, review] 'done' -> 'agent_responded'",
        "README.md:5:70: prompt-status [certain, review] 'failed' -> 'interrupted'",
        "README.md:5:83: prompt-status [certain, review] 'timeout' -> 'waiting_for_response'",
        "3 files scanned, 3 findings: 0 to rewrite, 3 to review (expand phase)",
    ]
    # Documentation is for a person to read: never rewritten, even in contract.
    check = run_cli("apply", ".", "--phase", "contract", "--check", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert check.stderr == "3 files would be left unchanged.\n"
    assert run_cli("apply", ".", "--phase", "contract", "--write", cwd=tmp_path).returncode == 0
    assert snapshot(tmp_path) == before


def test_a_python_block_goes_through_the_python_engines_own_guard(tmp_path: Path) -> None:
    # The block takes the file engine's path: a nesting LibCST's native parser
    # cannot survive is refused by the stdlib parser first, a note, no crash.
    deep = "x = " + "(" * 3000 + "'done'" + ")" * 3000
    agents = "Call `sessions_list` to see your workers.\n\n```python\n" + deep + "\n```\n"
    (tmp_path / "AGENTS.md").write_text(agents, "utf-8")
    proc = run_cli("scan", ".", cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    assert "AGENTS.md:3: ```python block does not parse; its values are left for review" in proc.stdout
    assert (tmp_path / "AGENTS.md").read_text("utf-8") == agents
