"""The journal: every applied change with what it takes to undo it.

Like Alembic's ledger, it lives beside the data it changed: a project's
changes in ``.migrator/journal/`` under the project root, an OpenClaw state
dir's in ``.migrator/journal/`` inside that state dir, so session data never
lands in an unrelated repository and ``rollback`` finds it from the paths it
is given. ``.migrator/`` is created private (0700) with a ``.gitignore``
holding ``*``.

Each ``apply --write`` is one run (one id, shared by every journal it wrote
to) with a ledger (JSON lines, fsynced) and the original bytes of every file
it touched, stored by content hash. What each kind of entry means, and how
it is undone, is the business of :mod:`migrator.changes`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator, Sequence

from migrator.errors import InputError, StalePlan
from migrator.findings import digest

MIGRATOR_DIR = ".migrator"
JOURNAL_DIR = Path(MIGRATOR_DIR) / "journal"
_ROLLED_BACK = "rolled-back"

# Tests of crash safety set this to N: the process kills itself (SIGKILL, no
# cleanup) at the N-th step of a write, as a power cut would.
CRASH_ENV = "MIGRATOR_CRASH_AFTER_STEPS"
_steps = 0


def crash_point() -> None:
    """One step of a write; dies here if the crash test asked for it."""
    global _steps
    limit = os.environ.get(CRASH_ENV)
    if not limit:
        return
    _steps += 1
    if _steps >= int(limit):
        os.kill(os.getpid(), signal.SIGKILL)


# Bytes written between two requests that the kernel start writing them back.
WRITEBACK = 8 << 20


class WriteBehind:
    """A binary handle, written through, whose bytes the kernel is asked to
    start writing to disk every :data:`WRITEBACK` bytes, while the writer
    goes on: the fsync that later makes the file durable then finds most of
    it there and waits for little. (``posix_fadvise`` ``DONTNEED`` starts
    the writeback of a dirty range; it drops only pages already clean, so
    nothing unwritten is lost. Where it is missing this is a plain handle.)
    The file is written from its start, in order."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.written = 0
        self.started = 0  # bytes before this offset have been handed to writeback

    def write(self, data: bytes) -> int:
        count = self.handle.write(data)
        self.written += count
        if self.written - self.started >= WRITEBACK:
            self._start_writeback()
        return count

    def _start_writeback(self) -> None:
        advise = getattr(os, "posix_fadvise", None)
        if advise is None:
            return
        self.handle.flush()
        try:
            advise(self.handle.fileno(), self.started, self.written - self.started, os.POSIX_FADV_DONTNEED)
        except OSError:
            return  # only a hint: the fsync still makes the file durable
        self.started = self.written


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where the OS allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_replace(path: Path, mode: int | None = None, *, durable: bool = True) -> Iterator[BinaryIO]:
    """A handle whose content replaces ``path`` atomically when the block
    ends without error: a temp file in the same directory, renamed over the
    target. ``durable`` adds the fsyncs (of the file, then of the directory)
    that make the new content survive a power cut; a cache entry skips them.
    The target's mode is kept (new files: ``mode``, else 0644). Raise inside
    the block to abandon the write; the target is then untouched.

    The one atomic replace of the package: every write of a user's file, a
    journal blob or a cache entry goes through it.
    """
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
    directory = path.parent
    tmp = directory / f".{path.name}.migrator-{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if durable:
            crash_point()
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if durable:
        fsync_dir(directory)


def staged_path(path: Path, role: str = "staged") -> Path:
    """A temp file beside ``path`` for content prepared ahead of its write
    (see :func:`install`; ``role`` "backup" for the copy of the original
    made as it is read, see :meth:`JournalRun.keep_blob_staged`), named like
    :func:`atomic_replace`'s so that :func:`sweep_temps` removes it once its
    process is gone: the run's own process, not a worker it planned in,
    which may end before the write."""
    # A process that never imported multiprocessing is no worker of it.
    module = sys.modules.get("multiprocessing")
    parent = None if module is None else module.parent_process()
    pid = os.getpid() if parent is None or parent.pid is None else parent.pid
    return path.parent / f".{path.name}.{role}.migrator-{pid}.tmp"


def install(staged: Path, path: Path) -> None:
    """Replace ``path`` with the finished file ``staged`` (same directory),
    keeping the target's mode: the tail of :func:`atomic_replace` for
    content written before the write began."""
    mode = path.stat().st_mode & 0o7777
    fd = os.open(staged, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(staged, mode)
    crash_point()
    os.replace(staged, path)
    fsync_dir(path.parent)


_TEMP = re.compile(r"^\..+\.migrator-(\d+)\.tmp$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_temps(directories: Iterable[Path]) -> None:
    """Remove the temp files that a killed write left in ``directories``
    (those of :func:`atomic_replace` whose process is gone): one listing per
    directory, so a crash leaves nothing behind in the user's folders."""
    for directory in set(directories):
        try:
            names = [entry.name for entry in os.scandir(directory) if entry.name.endswith(".tmp")]
        except OSError:
            continue
        for name in names:
            match = _TEMP.match(name)
            if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(directory / name)


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_replace`)."""
    with atomic_replace(path, mode) as handle:
        handle.write(data)


def file_digest(path: Path) -> str:
    """sha256 of a file, read in blocks."""
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


def same_bytes(first: Path, second: Path) -> bool:
    """Whether two files hold the same bytes, read side by side in blocks
    (a comparison costs a fraction of a hash of either)."""
    with open(first, "rb") as one, open(second, "rb") as two:
        if os.fstat(one.fileno()).st_size != os.fstat(two.fileno()).st_size:
            return False
        while True:
            block = one.read(1 << 20)
            if block != two.read(1 << 20):
                return False
            if not block:
                return True


def migrator_home(root: Path) -> Path:
    """``root/.migrator``, created private with a ``.gitignore`` holding ``*``
    (the cache and the journal hold copies of user data: never committed)."""
    home = root / MIGRATOR_DIR
    if not home.is_dir():
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
    elif home.stat().st_mode & 0o077:
        with contextlib.suppress(OSError):
            os.chmod(home, 0o700)  # made by an older version, or by hand
    ignore = home / ".gitignore"
    if not ignore.exists():
        try:
            ignore.write_text("# Created by migrator: its cache and journal are never committed.\n*\n", "utf-8")
        except OSError:
            pass  # a read-only checkout still runs; only the ignore file is missing
    return home


@dataclass
class JournalRun:
    """One ``apply --write`` in one journal: append-only ledger plus blobs."""

    root: Path
    id: str

    @property
    def directory(self) -> Path:
        return self.root / JOURNAL_DIR / self.id

    @property
    def blobs(self) -> Path:
        return self.root / JOURNAL_DIR / "blobs"

    def _prepare(self) -> None:
        migrator_home(self.root)
        self.blobs.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        # A copy a killed run was making: as large as the file it copied.
        sweep_temps([self.blobs])

    def start(self, phase: str | None, journals: Sequence[Path] = ()) -> None:
        """The run's first line: when it ran, in which phase and, for a run
        over several journals, the root of each."""
        self._prepare()
        entry: dict[str, Any] = {"op": "start", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                 "phase": phase}
        if journals:
            entry["journals"] = [str(root.absolute()) for root in journals]
        self._append(entry)

    def _append(self, entry: dict[str, Any]) -> None:
        crash_point()
        with open(self.directory / "ledger.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def keep_blob(self, data: bytes) -> str:
        """Store ``data`` by its hash (once) and return the hash."""
        sha = digest(data)
        target = self.blobs / sha
        if not target.exists():
            atomic_write(target, data, 0o600)
        return sha

    def keep_blob_file(self, source: Path, expected: str) -> str:
        """Store a copy of the file ``source`` by its hash, in constant
        memory, if it still has the digest ``expected``; else
        :class:`StalePlan` and nothing is kept."""
        target = self.blobs / expected
        if target.exists() and file_digest(source) == expected:
            return expected
        with atomic_replace(target, 0o600) as handle, open(source, "rb") as src:
            hasher = hashlib.sha256()
            copy = WriteBehind(handle)
            for block in iter(lambda: src.read(1 << 20), b""):
                hasher.update(block)
                copy.write(block)
            if hasher.hexdigest() != expected:
                raise StalePlan(str(source))  # abandons the copy
        return expected

    def keep_blob_staged(self, backup: Path, source: Path, expected: str) -> str:
        """Store ``backup``, a copy of ``source`` made as the plan read it
        (whose bytes had the digest ``expected``), as the journal's copy of
        ``source``, if ``source`` still holds those bytes; else
        :class:`StalePlan`, and nothing is kept. The check compares the
        file with the copy byte for byte, as strict as hashing it again and
        cheaper: the plan's one pass computed the digest and wrote the copy.
        The copy is made durable and renamed in (copied where the journal
        is on another file system); ``backup`` is gone either way."""
        try:
            if not same_bytes(source, backup):
                raise StalePlan(str(source))
            target = self.blobs / expected
            if target.exists():
                return expected  # kept by an earlier run, by the same digest
            fd = os.open(backup, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.chmod(backup, 0o600)
            crash_point()
            try:
                os.replace(backup, target)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                with atomic_replace(target, 0o600) as handle, open(backup, "rb") as src:
                    copy = WriteBehind(handle)
                    for block in iter(lambda: src.read(1 << 20), b""):
                        copy.write(block)
            else:
                fsync_dir(self.blobs)
            return expected
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(backup)

    def intend(self, path: Path, kind: str, before: str, after: str, **extra: Any) -> None:
        """Record a change before it is made: a crash after this line leaves
        the file either as before or as after, and both are known."""
        self._append({"op": "intend", "kind": kind, "path": str(path.absolute()), "before": before,
                      "after": after, "mode": _mode(path), **extra})

    def done(self, path: Path, **extra: Any) -> None:
        self._append({"op": "done", "path": str(path.absolute()), **extra})


def _mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return None


@dataclass(frozen=True)
class RunInfo:
    """One run of a journal, as ``rollback --list`` shows it."""

    id: str
    time: str
    phase: str | None
    files: int
    rolled_back: bool


class Journal:
    """All runs recorded under a root (``root/.migrator/journal``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def directory(self) -> Path:
        return self.root / JOURNAL_DIR

    def run(self, run_id: str) -> JournalRun:
        return JournalRun(self.root, run_id)

    def runs(self) -> list[str]:
        """Every run id, oldest first (ids sort by time)."""
        if not self.directory.is_dir():
            return []
        return sorted(p.name for p in self.directory.iterdir() if (p / "ledger.jsonl").is_file())

    def entries(self, run_id: str) -> Iterator[dict[str, Any]]:
        ledger = self.directory / run_id / "ledger.jsonl"
        try:
            lines = ledger.read_text("utf-8").splitlines()
        except OSError as exc:
            raise InputError(f"{ledger}: cannot read journal: {exc.strerror}") from None
        for number, line in enumerate(lines, start=1):
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                if number == len(lines):
                    return  # a torn last line from a crash: the change it named never started
                raise InputError(f"{ledger}:{number}: journal line is not valid JSON") from None

    def info(self, run_id: str) -> RunInfo:
        entries = list(self.entries(run_id))
        start = next((e for e in entries if e.get("op") == "start"), {})
        files = {e["path"] for e in entries if e.get("op") == "intend"}
        return RunInfo(run_id, str(start.get("time", "?")), start.get("phase"), len(files),
                       self.rolled_back(run_id))

    def planned(self, run_id: str) -> list[str]:
        """The roots of every journal the run meant to write to, as its first line names them."""
        try:
            start = next((e for e in self.entries(run_id) if e.get("op") == "start"), {})
        except InputError:
            return []  # an unreadable ledger is said where it is undone, not here
        journals = start.get("journals", [])
        return [str(root) for root in journals] if isinstance(journals, list) else []

    def rolled_back(self, run_id: str) -> bool:
        return (self.directory / run_id / _ROLLED_BACK).exists()

    def mark_rolled_back(self, run_id: str) -> None:
        (self.directory / run_id / _ROLLED_BACK).write_text(
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + "\n", "utf-8")


def new_run_id() -> str:
    """A run id that sorts by time: UTC to the microsecond, then the pid."""
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now))
    return f"{stamp}.{int(now * 1_000_000) % 1_000_000:06d}-{os.getpid()}"
