"""JSON5 spells a suppression as its own comment, ``// migrator: ignore``, as
YAML and TOML spell it with ``#``: in a data file a rule names, and in a
```jsonc example of a prompt."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

CONFIG = '[tool.migrator]\nphase = "contract"\n\n[[tool.migrator.data]]\npaths = ["*.json5"]\npointers = ["/*/status"]\n'
WATCH = '{\n  main: { status: "killed" }, // migrator: ignore\n  other: { status: "done" },\n  // migrator: ignroe\n}\n'


def test_a_json5_comment_suppresses_its_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    (tmp_path / "watch.json5").write_text(WATCH)
    scan = run_cli("scan", ".", "--no-cache", cwd=tmp_path)
    assert scan.returncode == 1, scan.stderr
    assert scan.stdout.splitlines() == [
        "watch.json5:3:20: data-rule [certain, rewrite] 'done' -> 'agent_responded' at /other/status",
        "watch.json5:4: unknown suppression directive `// migrator: ignroe`; did you mean `ignore`?",
        "1 file scanned, 1 finding: 1 to rewrite, 0 to review (contract phase)",
    ]
    written = run_cli("apply", ".", "--write", "--no-cache", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "watch.json5").read_text() == WATCH.replace('"done"', '"agent_responded"')


def test_a_jsonc_example_in_a_prompt_takes_the_same_comment(tmp_path: Path) -> None:
    text = ('# Rules\n\nUse `sessions_list`.\n\n```jsonc\n{\n  "status": "killed", // migrator: ignore\n'
            '  "sessions": [{"status": "done"}]\n}\n```\n')
    (tmp_path / "AGENTS.md").write_text(text)
    written = run_cli("apply", ".", "--phase", "contract", "--write", "--no-cache", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "AGENTS.md").read_text() == text.replace('"done"', '"agent_responded"')
