"""Suppression comments honour the rules they name, and report what they
cannot mean (as ruff reports an invalid `noqa`), through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli, snapshot

CODE = '''\
from client import invoke

for row in invoke("sessions_list")["details"]["sessions"]:
    if row["status"] == "failed":  # migrator: {comment}
        print(row)
'''
FINDING = "a.py:4:25: status-compare [certain, rewrite] 'failed' -> 'interrupted'"
SUMMARY_ONE = "1 file scanned, 1 finding: 1 to rewrite, 0 to review (expand phase)"
SUMMARY_NONE = "1 file scanned, 0 findings: 0 to rewrite, 0 to review (expand phase)"


@pytest.mark.parametrize(
    ("comment", "lines"),
    [
        # Another rule's code does not silence this one, and is reported unused.
        ("ignore[status-match]", [FINDING, "a.py:4: unused suppression `# migrator: ignore[status-match]`", SUMMARY_ONE]),
        ("ignore[status-compare]", [SUMMARY_NONE]),
        ("ignore[status-match, status-compare]", [SUMMARY_NONE]),
        ("ignore", [SUMMARY_NONE]),
        # An unknown code silences nothing, and says so.
        ("ignore[no-such-rule]",
         [FINDING, "a.py:4: unknown rule `no-such-rule` in `# migrator: ignore[no-such-rule]` (see `migrator rules`)",
          SUMMARY_ONE]),
        ("ignore[status-compar]",
         [FINDING, "a.py:4: unknown rule `status-compar` in `# migrator: ignore[status-compar]`; "
          "did you mean `status-compare`?", SUMMARY_ONE]),
        ("ignroe", [FINDING, "a.py:4: unknown suppression directive `# migrator: ignroe`; did you mean `ignore`?",
                    SUMMARY_ONE]),
    ],
)
def test_python_suppressions(tmp_path: Path, comment: str, lines: list[str]) -> None:
    (tmp_path / "a.py").write_text(CODE.format(comment=comment))
    scan = run_cli("scan", "a.py", cwd=tmp_path)
    assert scan.stdout.splitlines() == lines
    assert scan.returncode == (1 if FINDING in lines else 0)
    before = snapshot(tmp_path)
    written = run_cli("apply", "a.py", "--write", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    after = snapshot(tmp_path)["a.py"].decode()
    if FINDING in lines:
        assert 'row["status"] in ("failed", "interrupted"):' in after
    else:
        assert after == before["a.py"].decode()


def test_unused_blanket_suppression_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(CODE.format(comment="ignore").replace('"failed"', '"running"') + 'X = "done"\n')
    scan = run_cli("scan", "a.py", cwd=tmp_path)
    assert scan.returncode == 0
    assert scan.stdout.splitlines() == ["a.py:4: unused suppression `# migrator: ignore`", SUMMARY_NONE]


PROMPT = """\
# Triage

When a worker's status is `failed`, resume it. <!-- migrator: {comment} -->
"""


@pytest.mark.parametrize(
    ("comment", "suppressed"),
    [("ignore[prompt-status]", True), ("ignore[status-compare]", False), ("ignore", True)],
)
def test_markdown_suppressions_name_their_rules(tmp_path: Path, comment: str, suppressed: bool) -> None:
    (tmp_path / "AGENTS.md").write_text(PROMPT.format(comment=comment))
    scan = run_cli("scan", "AGENTS.md", cwd=tmp_path)
    lines = scan.stdout.splitlines()
    if suppressed:
        assert scan.returncode == 0 and lines == ["1 file scanned, 0 findings: 0 to rewrite, 0 to review (expand phase)"]
    else:
        assert scan.returncode == 1
        assert lines[1] == "AGENTS.md:3:28: prompt-status [possible, review] 'failed' -> 'interrupted'"
        assert f"AGENTS.md:3: unused suppression `<!-- migrator: {comment} -->`" in lines


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("runs.yaml",
         "sessions:\n  - status: failed  # migrator: ignore[data-rule]\n  - status: done\n"
         "  - status: killed  # migrator: ignore[status-compare]\n",
         "sessions:\n  - status: failed  # migrator: ignore[data-rule]\n  - status: agent_responded\n"
         "  - status: halted  # migrator: ignore[status-compare]\n"),
        ("runs.toml",
         '[[sessions]]\nstatus = "failed"  # migrator: ignore\n[[sessions]]\nstatus = "done"\n',
         '[[sessions]]\nstatus = "failed"  # migrator: ignore\n[[sessions]]\nstatus = "agent_responded"\n'),
    ],
)
def test_data_file_suppressions(tmp_path: Path, name: str, text: str, expected: str) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.migrator]\nphase = "contract"\n\n[[tool.migrator.data]]\npaths = ["{name}"]\npointers = ["/sessions/*/status"]\n'
    )
    (tmp_path / name).write_text(text)
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert scan.returncode == 1, scan.stderr
    unused = [line for line in scan.stdout.splitlines() if "unused suppression" in line]
    if name.endswith(".yaml"):
        assert unused == [f"{name}:4: unused suppression `# migrator: ignore[status-compare]`"]
    else:
        assert unused == []
    written = run_cli("apply", ".", "--write", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert (tmp_path / name).read_text() == expected
    assert run_cli("apply", ".", "--check", cwd=tmp_path).returncode == 0
