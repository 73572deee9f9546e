"""The journal's copy of a JSONL export, written as the plan reads it: the
write compares the file with that copy byte for byte (instead of hashing the
file again) and renames the copy into the journal, or copies it there when
the journal is on another file system."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from pathlib import Path

from conftest import run_cli

from migrator.errors import StalePlan
from migrator.journal import JournalRun, same_bytes, staged_path

TARGET = "exports/sessions.jsonl"
CONFIG = '[tool.migrator]\n[[tool.migrator.data]]\npaths = ["exports/*.jsonl"]\npointers = ["/status"]\n'
LINE = b'{"key":"k%05d","status":"done","last":{"kind":"tool","status":"failed"},"label":"r\xc3\xa9sum\xc3\xa9"}\n'


def _project(tmp: Path, lines: int = 400) -> tuple[Path, bytes]:
    project = tmp / "project"
    (project / "exports").mkdir(parents=True)
    (project / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    original = b"".join(LINE % n for n in range(lines))
    (project / TARGET).write_bytes(original)
    return project, original


def _renamed(original: bytes) -> bytes:
    return original.replace(b'"status":"done","last"', b'"status":"agent_responded","last"')


def _left(project: Path) -> list[str]:
    return sorted(p.name for p in (project / "exports").iterdir() if p.name != "sessions.jsonl")


def _plan(project: Path):  # type: ignore[no-untyped-def]
    from migrator import pipeline
    from migrator.config import load_options

    options = load_options([str(project)], cwd=project, phase="contract", use_cache=False)
    return pipeline.run(dataclasses.replace(options, stage=True))


def test_the_plan_copies_the_original_and_the_write_keeps_that_copy(tmp_path: Path) -> None:
    from migrator.write import write

    project, original = _project(tmp_path)
    planned = _plan(project)
    [result] = planned.changed
    backup = staged_path(project / TARGET, "backup")
    assert backup.read_bytes() == original  # copied as it was read
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    outcome = write(planned)
    assert len(outcome.written) == 1 and not outcome.failed and not outcome.stale
    assert (project / TARGET).read_bytes() == _renamed(original)
    assert _left(project) == []  # the copy was renamed into the journal
    blob = project / ".migrator" / "journal" / "blobs" / hashlib.sha256(original).hexdigest()
    assert blob.read_bytes() == original
    assert oct(blob.stat().st_mode & 0o777) == "0o600"


def test_a_change_of_the_same_size_since_the_plan_is_stale(tmp_path: Path) -> None:
    from migrator.write import write

    project, original = _project(tmp_path)
    planned = _plan(project)
    # Same length, one byte different, far from the start: only the bytes tell.
    edited = original[:-20] + original[-20:].replace(b"sum", b"SUM")
    assert len(edited) == len(original) and edited != original
    (project / TARGET).write_bytes(edited)
    outcome = write(planned)
    assert outcome.stale == [planned.changed[0].display] and not outcome.written
    assert (project / TARGET).read_bytes() == edited
    assert _left(project) == []  # staged content and copy both removed
    assert not list((project / ".migrator" / "journal" / "blobs").iterdir())


def test_applied_again_after_a_rollback_the_kept_copy_serves(tmp_path: Path) -> None:
    project, original = _project(tmp_path)
    for _ in range(2):
        done = run_cli("apply", "--write", "--phase", "contract", "--no-cache", ".", cwd=project)
        assert done.returncode == 0, done.stderr
        assert (project / TARGET).read_bytes() == _renamed(original)
        assert _left(project) == []
        back = run_cli("rollback", ".", cwd=project)
        assert back.returncode == 0, back.stderr
        assert (project / TARGET).read_bytes() == original
    assert len(list((project / ".migrator" / "journal" / "blobs").iterdir())) == 1


def test_a_journal_elsewhere_gets_the_copy_copied(tmp_path: Path) -> None:
    # /dev/shm is a file system of its own where it exists: the rename
    # fails there with EXDEV and the copy is copied; elsewhere it is renamed.
    other = Path("/dev/shm") if Path("/dev/shm").is_dir() else tmp_path
    with tempfile.TemporaryDirectory(dir=other) as name:
        journal = JournalRun(Path(name), "run")
        journal.start("contract")
        source = tmp_path / "export.jsonl"
        source.write_bytes(LINE * 50)
        backup = tmp_path / ".export.jsonl.backup.migrator-1.tmp"
        backup.write_bytes(LINE * 50)
        sha = hashlib.sha256(LINE * 50).hexdigest()
        assert journal.keep_blob_staged(backup, source, sha) == sha
        assert (journal.blobs / sha).read_bytes() == LINE * 50
        assert not backup.exists()
        # A copy that no longer matches the file: stale, nothing kept.
        backup.write_bytes(LINE * 50)
        source.write_bytes(LINE * 49)
        try:
            journal.keep_blob_staged(backup, source, "0" * 64)
        except StalePlan:
            pass
        else:
            raise AssertionError("a file changed since its copy was made was kept")
        assert not backup.exists() and not (journal.blobs / ("0" * 64)).exists()


def test_same_bytes(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    big = os.urandom(3 << 20)
    one.write_bytes(big)
    two.write_bytes(big)
    assert same_bytes(one, two)
    two.write_bytes(big[:-1] + bytes([big[-1] ^ 1]))
    assert not same_bytes(one, two)
    two.write_bytes(big + b"\n")
    assert not same_bytes(one, two)
    one.write_bytes(b"")
    two.write_bytes(b"")
    assert same_bytes(one, two)
