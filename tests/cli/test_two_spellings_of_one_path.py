"""One directory given twice under two spellings (a symlink to it, and its
own name) is one set of files: each is scanned, and written, once."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

POLL = '''import openclaw


def finished(client):
    rows = client.sessions_list()
    return [r for r in rows if r["status"] == "done"]
'''


def test_a_symlink_and_its_target_given_together_are_one_tree(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "pyproject.toml").write_text('[tool.migrator]\nphase = "contract"\n')
    (tmp_path / "app" / "poll.py").write_text(POLL)
    (tmp_path / "alias").symlink_to("app", target_is_directory=True)
    scan = run_cli("scan", "alias", "app", "--no-cache", cwd=tmp_path)
    assert scan.returncode == 1, scan.stderr
    assert scan.stdout.splitlines() == [
        "alias/poll.py:6:47: status-compare [certain, rewrite] 'done' -> 'agent_responded'",
        "1 file scanned, 1 finding: 1 to rewrite, 0 to review (contract phase)",
    ]
    written = run_cli("apply", "app", "alias/poll.py", "--write", "--no-cache", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert written.stderr.splitlines()[0] == "rewrote app/poll.py"
    assert (tmp_path / "app" / "poll.py").read_text() == POLL.replace('== "done"', '== "agent_responded"')
