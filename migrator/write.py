"""The journalled write: the only place migrator changes a user's file."""

from __future__ import annotations

from dataclasses import dataclass, field

from migrator.findings import FileResult, StalePlan, digest
from migrator.journal import Journal, JournalRun, atomic_write
from migrator.pipeline import Run


@dataclass
class WriteOutcome:
    run_id: str | None = None
    written: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def read_only(result: FileResult) -> bool:
    """A file its owner made read-only is not replaced behind their back
    (a rename over it would succeed, so the mode is checked)."""
    try:
        return not (result.path.stat().st_mode & 0o200)
    except OSError:
        return False


def _write_file(result: FileResult, journal: JournalRun, outcome: WriteOutcome) -> None:
    assert result.updated is not None and result.original is not None
    try:
        current = result.path.read_bytes()
    except OSError as exc:
        outcome.failed.append((result.display, f"cannot read before writing: {exc.strerror}"))
        return
    if digest(current) != digest(result.original):
        # Changed since it was read: never overwrite what we did not see.
        outcome.stale.append(result.display)
        return
    try:
        journal.intend(result.path, result.original, result.updated)
        atomic_write(result.path, result.updated)
        journal.done(result.path)
    except OSError as exc:
        outcome.failed.append((result.display, f"cannot write: {exc.strerror or exc}"))
        return
    outcome.written.append(result.display)


def _apply_plan(result: FileResult, journal: JournalRun, outcome: WriteOutcome) -> None:
    assert result.plan is not None
    try:
        result.plan.apply(journal)
    except StalePlan:
        outcome.stale.append(result.display)
        return
    except (OSError, ValueError) as exc:
        message = getattr(exc, "strerror", None) or str(exc)
        outcome.failed.append((result.display, f"cannot write: {message}"))
        return
    outcome.written.append(result.display)


def write(run: Run) -> WriteOutcome:
    """Apply every verified change of ``run``, each atomically and journalled."""
    outcome = WriteOutcome()
    changed = run.changed
    if not changed:
        return outcome
    journal = Journal(run.options.root).start()
    for result in changed:
        if result.path.is_symlink():
            # A rename would replace the link itself with a regular file.
            outcome.failed.append((result.display, "is a symbolic link; left as it is (migrate the file it points to)"))
        elif read_only(result):
            outcome.failed.append((result.display, "file is read-only; left as it is (make it writable to migrate it)"))
        elif result.updated is not None:
            _write_file(result, journal, outcome)
        elif result.plan is not None:
            _apply_plan(result, journal, outcome)
    if outcome.written:
        outcome.run_id = journal.id  # name a journal only when it holds something
    return outcome
