"""The journalled write and its undo: the only places migrator changes a
user's file.

Each change is journalled where it belongs: a file inside an OpenClaw state
dir in that state dir's journal, any other in the project's (see
:mod:`migrator.journal`). One ``write`` is one run id across all of them.
"""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Callable, Iterator, Sequence

from migrator.changes import CHANGES, Change, Undone, change_of
from migrator.targets import builtin_store
from migrator.errors import ChangeError, ConfigError, InputError, StalePlan
from migrator.files import SKIP_DIRS, _is_virtualenv
from migrator.findings import FileResult
from migrator.journal import JOURNAL_DIR, MIGRATOR_DIR, Journal, JournalRun, RunInfo, new_run_id, sweep_temps
from migrator.pipeline import Run


@dataclass
class WriteOutcome:
    run_id: str | None = None
    written: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: Ctrl-C stopped the write between two files; these were not written.
    interrupted: list[str] = field(default_factory=list)
    #: Where the journals of this run are.
    journals: list[Path] = field(default_factory=list)


def read_only(result: FileResult) -> bool:
    """A file its owner made read-only is not replaced behind their back
    (a rename over it would succeed, so the mode is checked)."""
    try:
        return not (result.path.stat().st_mode & 0o200)
    except OSError:
        return False


def journal_home(path: Path, state_roots: list[Path], project: Path) -> Path:
    """The directory whose ``.migrator/journal`` records a change to ``path``:
    the state dir holding it, else the project root."""
    absolute = path.absolute()
    for root in state_roots:
        if root in absolute.parents:
            return root
    return project


def _state_roots(run: Run) -> list[Path]:
    """The OpenClaw state dirs of the run's changed stores, innermost first."""
    roots = set()
    for result in run.changed:
        found = builtin_store(result.path.absolute(), run.options.manifest)
        if found is not None:
            roots.add(found[1])
    return sorted(roots, key=lambda p: -len(p.parts))


class _Journals:
    """The run's journals, opened on first use, one run id for all."""

    def __init__(self, run: Run) -> None:
        self.id = new_run_id()
        self.run = run
        self.state_roots = _state_roots(run)
        self.open: dict[Path, JournalRun] = {}
        # Every journal the run may write to, known to each from its first
        # line: a rollback that reads only some of them can name the others.
        self.planned = sorted({_normal(self.home(result.path)) for result in run.changed})

    def home(self, path: Path) -> Path:
        """Where the change to ``path`` is journalled: its state dir, else its own project's root."""
        return journal_home(path, self.state_roots, self.run.options_for(path).root.absolute())

    def for_path(self, path: Path) -> JournalRun:
        home = self.home(path)
        if home not in self.open:
            journal = JournalRun(home, self.id)
            journal.start(self.run.options_for(path).phase, self.planned if len(self.planned) > 1 else ())
            self.open[home] = journal
        return self.open[home]


class _DeferredInterrupt:
    """Ctrl-C while writing stops the write at the next file boundary
    instead of in the middle of a file. A second Ctrl-C stops at once (every
    change is atomic: its file is still old or new)."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: object = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> "_DeferredInterrupt":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]


def _guard(result: FileResult) -> str | None:
    """Why a file is left as it is before its change is even tried."""
    if result.path.is_symlink():
        # A rename would replace the link itself with a regular file.
        return "is a symbolic link; left as it is (migrate the file it points to)"
    if read_only(result):
        return "file is read-only; left as it is (make it writable to migrate it)"
    return None


def _apply(change: Change, journal: JournalRun, outcome: WriteOutcome,
           on_write: Callable[[str], None] | None) -> None:
    try:
        change.apply(journal)
    except StalePlan:
        outcome.stale.append(change.display)
        return
    except ChangeError as exc:
        outcome.failed.append((change.display, str(exc)))
        return
    except OSError as exc:
        outcome.failed.append((change.display, f"cannot write: {exc.strerror or exc}"))
        return
    outcome.written.append(change.display)
    if on_write is not None:
        on_write(change.display)


def write(run: Run, on_write: Callable[[str], None] | None = None) -> WriteOutcome:
    """Apply every verified change of ``run``, each atomically and journalled.

    Ctrl-C stops between two files: ``outcome.interrupted`` lists the files
    not written, and the journal holds the ones that were. ``on_write`` hears
    of each file as it is written."""
    outcome = WriteOutcome()
    changed = run.changed
    if not changed:
        return outcome
    journals = _Journals(run)
    with _DeferredInterrupt() as interrupt:
        for index, result in enumerate(changed):
            if interrupt.requested:
                outcome.interrupted = [r.display for r in changed[index:]]
                break
            change = change_of(result)
            problem = _guard(result)
            if problem:
                outcome.failed.append((result.display, problem))
            elif change is not None:
                try:
                    journal = journals.for_path(result.path)
                except OSError as exc:
                    # No journal, no change: an unjournalled write could not be undone.
                    where = journals.home(result.path) / JOURNAL_DIR
                    outcome.failed.append((result.display, f"cannot keep a journal in {where}: "
                                                           f"{exc.strerror or exc}; left as it is"))
                    continue
                _apply(change, journal, outcome, on_write)
    sweep_temps(r.path.parent for r in changed)  # what an earlier, killed write left
    if outcome.written:
        outcome.run_id = journals.id  # name a journal only when it holds something
    outcome.journals = sorted(journals.open)
    return outcome


# --- rollback ---------------------------------------------------------------


def journal_roots(paths: Sequence[Path], state_dirs: Sequence[Path] = ()) -> list[Path]:
    """The journals ``rollback`` reads: for each of ``paths``, the nearest
    directory at or above it that has a journal and, for a directory, every
    journal below it too (a write over several projects from a common parent
    journals its one run in each of them); for a state dir, its own only
    (never a project's above it)."""
    found: list[Path] = []
    for given, exact in [*((p, False) for p in paths), *((s, True) for s in state_dirs)]:
        start = _normal(given)
        nearest = _nearest_journal(start, exact)
        if nearest is not None and nearest not in found:
            found.append(nearest)
        if not exact and start.is_dir():
            found += [home for home in journals_below(start) if home not in found]
    return found


def _normal(path: Path) -> Path:
    """``path`` absolute, without ``..``: one spelling per journal, so a run's
    journals are told apart from those a rollback read however they were given."""
    return Path(os.path.normpath(path.absolute()))


def _nearest_journal(start: Path, exact: bool) -> Path | None:
    """``start`` if it holds a journal, else (unless ``exact``) the nearest directory above that does."""
    for candidate in [start] if exact else [start, *start.parents]:
        if _has_journal(candidate):
            return candidate
    return None


def _has_journal(directory: Path, below: bool = False) -> bool:
    """Whether ``directory`` holds a journal. Below a given path, as for any
    directory the walk meets, a linked ``.migrator`` is not followed: its
    ledger names files of wherever it was linked from."""
    return not (below and (directory / MIGRATOR_DIR).is_symlink()) and (directory / JOURNAL_DIR).is_dir()


def _skipped(name: str, path: str) -> bool:
    """A directory never walked for journals, as discovery never walks it for
    files: ``.git``, ``node_modules``, a virtualenv, ``.migrator`` itself."""
    return name in SKIP_DIRS or _is_virtualenv(path)


def journals_below(top: Path) -> list[Path]:
    """Every directory strictly below ``top`` that holds a journal, in sorted
    walk order. Symlinks are never followed (the walk cannot leave ``top``),
    and a directory that cannot be read is passed over."""
    found: list[Path] = []
    pending = [str(top)]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            continue
        # Only a directory that lists a .migrator costs a further look.
        if directory != str(top) and any(e.name == MIGRATOR_DIR for e in entries) and _has_journal(Path(directory), below=True):
            found.append(Path(directory))
        subdirs = [e.path for e in entries if e.is_dir(follow_symlinks=False) and not _skipped(e.name, e.path)]
        pending += reversed(subdirs)
    return found


def reached_from(top: Path, home: Path) -> bool:
    """Whether ``journal_roots([top])`` reads the journal in ``home``: the
    nearest one at or above ``top``, or one below it that the walk reaches."""
    top, home = _normal(top), _normal(home)
    if _nearest_journal(top, exact=False) == home:
        return True
    try:
        parts = home.relative_to(top).parts
    except ValueError:
        return False
    directory = top
    for part in parts:
        directory = directory / part
        if directory.is_symlink() or _skipped(part, str(directory)):
            return False
    return _has_journal(home, below=True)


@dataclass
class Rollback:
    """What ``rollback`` did: the run it undid and each file's outcome."""

    run_id: str
    undone: list[Undone]
    #: Journals of the same run that were not among the roots and still hold it, not undone.
    elsewhere: list[Path] = field(default_factory=list)


def runs(roots: list[Path]) -> Iterator[tuple[Path, RunInfo]]:
    """Every run of the journals under ``roots``, oldest first."""
    listed = [(root, Journal(root).info(run_id)) for root in roots for run_id in Journal(root).runs()]
    yield from sorted(listed, key=lambda pair: pair[1].id)


def rollback(roots: list[Path], run_id: str | None = None, force: bool = False,
             where: str | None = None) -> Rollback:
    """Undo a run in every journal under ``roots`` that holds it: by default
    the latest run not rolled back yet across all of them (so a second
    rollback steps back to the run before). Each file whose content is what
    the run wrote gets its original back; a file changed since is a
    conflict, left as it is unless ``force``. ``where`` says where the
    journals were looked for, when not simply in ``roots``."""
    where = where or ", ".join(str(root / JOURNAL_DIR) for root in roots) or "the given paths"
    known = [info for _, info in runs(roots)]
    if not known:
        raise ConfigError(f"nothing to roll back: no journal in {where} (an OpenClaw state dir keeps its "
                          f"own: `migrator rollback --state-dir DIR`)")
    if run_id is None:
        pending = [info.id for info in known if not info.rolled_back]
        if not pending:
            raise ConfigError(f"nothing to roll back: every run in {where} is rolled back already")
        run_id = pending[-1]
    elif run_id not in {info.id for info in known}:
        raise ConfigError(f"no run '{run_id}' in {where} (known: {', '.join(i.id for i in known)})")
    holding = [root for root in roots if run_id in Journal(root).runs()]
    # A run undone in some of its journals already (a conflict kept the rest)
    # is finished in the others; only an explicit --run of a finished run is
    # undone again everywhere.
    pending_in = [root for root in holding if not Journal(root).rolled_back(run_id)]
    undone: list[Undone] = []
    for root in pending_in or holding:
        journal = Journal(root)
        run = journal.run(run_id)
        entries = [e for e in journal.entries(run_id) if e.get("op") == "intend"]
        outcomes = [_undo(entry, run, force) for entry in reversed(entries)]
        sweep_temps([*(Path(str(entry["path"])).parent for entry in entries), run.blobs])
        if all(u.outcome in ("restored", "restored-content", "already") for u in outcomes):
            journal.mark_rolled_back(run_id)
        undone += outcomes
    return Rollback(run_id, undone, _elsewhere(run_id, holding))


def _elsewhere(run_id: str, holding: list[Path]) -> list[Path]:
    """The journals the run's first lines name that are not in ``holding``
    and hold the run, not rolled back."""
    named = {_normal(Path(home)) for root in holding for home in Journal(root).planned(run_id)}
    return sorted(home for home in named - {_normal(root) for root in holding}
                  if run_id in Journal(home).runs() and not Journal(home).rolled_back(run_id))


def _undo(entry: dict[str, object], run: JournalRun, force: bool) -> Undone:
    kind = str(entry.get("kind", "file"))
    change = CHANGES.get(kind)
    if change is None:
        raise InputError(f"{run.directory}: unknown journal entry kind {kind!r}")
    return change.undo(entry, run, force)
