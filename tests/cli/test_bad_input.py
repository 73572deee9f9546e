"""Every input a user can get wrong: one line naming the file, a defined exit
code, and nothing lost."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import REPO, run_cli, snapshot

SESSION_TEST = b'data = invoke("sessions_list")\nfor row in data["sessions"]:\n    if row["status"] == "done":\n        pass\n'


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(("error:", "migrator: error:"))]


def test_syntax_error_is_named_and_others_still_scanned(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_bytes(b'if row["status"] == "done"\n    pass\n')
    (tmp_path / "good.py").write_bytes(SESSION_TEST)
    before = snapshot(tmp_path)
    result = run_cli("scan", ".", cwd=tmp_path)
    assert result.returncode == 3
    [line] = _errors(result.stderr)
    assert line.startswith("error: bad.py: cannot parse Python: ")
    assert "good.py:3:" in result.stdout
    written = run_cli("apply", ".", "--write", cwd=tmp_path)
    assert written.returncode == 3
    after = snapshot(tmp_path)
    assert after["bad.py"] == before["bad.py"]
    assert after["good.py"] != before["good.py"]  # the readable file still migrates


def test_invalid_utf8(tmp_path: Path) -> None:
    (tmp_path / "latin.py").write_bytes(b'x = "caf\xe9"\nif s["status"] == "done": pass\n')
    before = snapshot(tmp_path)
    result = run_cli("apply", ".", "--write", cwd=tmp_path)
    assert result.returncode == 3
    [line] = _errors(result.stderr)
    assert line.startswith("error: latin.py: ")
    assert "UTF-8" in line or "utf-8" in line
    assert snapshot(tmp_path) == before


def test_bom_and_crlf_are_preserved(tmp_path: Path) -> None:
    source = b"\xef\xbb\xbf" + SESSION_TEST.replace(b"\n", b"\r\n")
    (tmp_path / "win.py").write_bytes(source)
    result = run_cli("apply", ".", "--write", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "win.py").read_bytes() == source.replace(
        b'== "done"', b'in ("done", "agent_responded")'
    )


def test_missing_path(tmp_path: Path) -> None:
    result = run_cli("scan", "nowhere", cwd=tmp_path)
    assert result.returncode == 2  # a usage error, as click's exists=True and black make it
    assert _errors(result.stderr) == ["error: nowhere: no such file or directory"]


def test_unreadable_file(tmp_path: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="migrator-unreadable-"))
    try:
        os.chmod(work, 0o777)
        (work / "secret.py").write_bytes(SESSION_TEST)
        (work / "secret.py").chmod(0o000)
        (work / "open.py").write_bytes(SESSION_TEST)
        (work / "open.py").chmod(0o666)
        if os.geteuid() == 0:
            # Root reads anything; in a fresh user namespace it keeps only the
            # owner's permission bits, which is what an ordinary user has.
            import subprocess
            import sys

            result = subprocess.run(
                ["unshare", "--user", sys.executable, "-m", "migrator", "scan", "."],
                cwd=work, env={**os.environ, "PYTHONPATH": str(REPO)},
                capture_output=True, text=True, timeout=60,
            )
        else:
            result = run_cli("scan", ".", cwd=work)
        assert result.returncode == 3, result.stderr
        assert _errors(result.stderr) == ["error: secret.py: cannot read: Permission denied"]
        assert "open.py:3:" in result.stdout
    finally:
        (work / "secret.py").chmod(0o600)
        shutil.rmtree(work)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('[tool.migrator]\ncolour = "red"\n', "pyproject.toml: [tool.migrator] unknown key 'colour'"),
        ('[tool.migrator]\nphase = "sideways"\n', "pyproject.toml: [tool.migrator] key 'phase' must be one of expand, contract, not 'sideways'"),
        ('[tool.migrator]\nmin-confidence = "high"\n', "pyproject.toml: [tool.migrator] key 'min-confidence' must be one of possible, likely, certain"),
        ('[tool.migrator]\ntarget-version = "next"\n', "pyproject.toml: [tool.migrator] key 'target-version': not an OpenClaw version"),
        ('[tool.migrator\n', "pyproject.toml: cannot read configuration"),
        ('[[tool.migrator.data]]\npaths = ["x.json"]\npointers = ["status"]\n', "pointer 'status' must start with '/'"),
    ],
)
def test_bad_config_is_one_line_exit_2(tmp_path: Path, config: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(config)
    (tmp_path / "a.py").write_bytes(SESSION_TEST)
    before = snapshot(tmp_path)
    result = run_cli("apply", ".", "--write", cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("migrator: error: ")
    assert message in line
    assert snapshot(tmp_path) == before


def test_bad_option_is_usage_error(tmp_path: Path) -> None:
    result = run_cli("apply", "--phase", "later", cwd=tmp_path)
    assert result.returncode == 2
    assert "Invalid value for '--phase'" in result.stderr


def test_file_changed_between_read_and_write_is_left_alone(tmp_path: Path) -> None:
    """The stale guard: the writer re-reads and compares before replacing."""
    from migrator import load_options, run, write

    target = tmp_path / "a.py"
    target.write_bytes(SESSION_TEST)
    result = run(load_options([str(tmp_path)], cwd=tmp_path))
    target.write_bytes(SESSION_TEST + b"# someone else was here\n")
    outcome = write(result)
    assert outcome.stale == [result.changed[0].display]
    assert target.read_bytes() == SESSION_TEST + b"# someone else was here\n"


def test_syntax_error_is_placed_where_python_places_it(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text('x = "done"\ndef f(:\n    pass\n')
    result = run_cli("scan", ".", cwd=tmp_path)
    assert result.returncode == 3
    assert _errors(result.stderr) == ["error: bad.py: cannot parse Python: invalid syntax (line 2, column 7)"]


def test_a_symlink_is_never_replaced_by_a_write(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_bytes(SESSION_TEST)
    project = tmp_path / "project"
    project.mkdir()
    (project / "link.py").symlink_to(outside)
    result = run_cli("apply", "link.py", "--write", cwd=project)
    assert result.returncode == 3
    assert _errors(result.stderr) == ["error: link.py: is a symbolic link; left as it is (migrate the file it points to)"]
    assert (project / "link.py").is_symlink()
    assert outside.read_bytes() == SESSION_TEST
    assert "journal" not in result.stderr  # nothing was written, so no journal is named
