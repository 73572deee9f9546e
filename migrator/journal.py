"""The journal: every applied change with what it takes to undo it.

Like Alembic's ledger, it lives beside the data it changed:
``.migrator/journal/`` under the project root. Each ``apply --write`` is one
run with a ledger (JSON lines, fsynced) and the original bytes of every file
it touched, stored by content hash. ``rollback`` walks a run backwards and
restores each file whose current content is the one the run wrote.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

from migrator.errors import InputError
from migrator.findings import digest

JOURNAL_DIR = Path(".migrator") / "journal"

# Journal entry kinds other than plain files, and the function that undoes
# one (``restore(root, entry, blob_dir) -> outcome``). A store engine owns its
# kind; the journal only dispatches.
RESTORERS: dict[str, str] = {"sqlite": "migrator.engines.sqlite:restore"}

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


def fsync_dir(directory: Path) -> None:
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
def atomic_writer(path: Path, mode: int | None = None) -> Iterator[BinaryIO]:
    """A handle whose content replaces ``path`` atomically when the block
    ends without error: a temp file in the same directory, fsync, rename over
    the target, fsync of the directory. The file's mode is kept. Raise
    inside the block to abandon the write."""
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
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        crash_point()
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(directory)


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path, mode) as handle:
        handle.write(data)


def file_digest(path: Path) -> str:
    """sha256 of a file, read in blocks."""
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


@dataclass
class JournalRun:
    """One ``apply --write``: append-only ledger plus original blobs."""

    root: Path
    id: str

    @property
    def directory(self) -> Path:
        return self.root / JOURNAL_DIR / self.id

    @property
    def blobs(self) -> Path:
        return self.root / JOURNAL_DIR / "blobs"

    def _append(self, entry: dict[str, Any]) -> None:
        crash_point()
        self.directory.mkdir(parents=True, exist_ok=True)
        ledger = self.directory / "ledger.jsonl"
        with open(ledger, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def keep_blob(self, data: bytes) -> str:
        """Store ``data`` by its hash (once) and return the hash."""
        sha = digest(data)
        self.blobs.mkdir(parents=True, exist_ok=True)
        target = self.blobs / sha
        if not target.exists():
            atomic_write(target, data, 0o600)
        return sha

    def keep_blob_file(self, source: Path) -> str:
        """Store a copy of the file ``source`` by its hash, in constant memory."""
        self.blobs.mkdir(parents=True, exist_ok=True)
        partial = self.blobs / f".incoming-{os.getpid()}"
        hasher = hashlib.sha256()
        with open(source, "rb") as src, open(partial, "wb") as dst:
            for block in iter(lambda: src.read(1 << 20), b""):
                hasher.update(block)
                dst.write(block)
            dst.flush()
            os.fsync(dst.fileno())
        sha = hasher.hexdigest()
        os.chmod(partial, 0o600)
        os.replace(partial, self.blobs / sha)
        fsync_dir(self.blobs)
        return sha

    def intend(self, path: Path, before: bytes, after: bytes, kind: str = "file", **extra: Any) -> None:
        """Record a change before it is made: a crash after this line leaves
        the file either as before or as after, and both are known."""
        before_sha = self.keep_blob(before)
        self.intend_digests(path, before_sha, digest(after), kind, **extra)

    def intend_digests(self, path: Path, before_sha: str, after_sha: str, kind: str = "file", **extra: Any) -> None:
        """:meth:`intend` for a change whose original is already a blob."""
        self._append(
            {"op": "intend", "kind": kind, "path": str(path), "before": before_sha, "after": after_sha,
             "mode": _mode(path), **extra}
        )

    def record(self, entry: dict[str, Any]) -> None:
        """Record a change of another kind (a store engine's own entry)."""
        self._append(entry)

    def done(self, path: Path) -> None:
        self._append({"op": "done", "path": str(path)})


def _mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return None


class Journal:
    """All runs recorded under a root."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def start(self) -> JournalRun:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        run_id = f"{stamp}-{os.getpid()}"
        return JournalRun(self.root, run_id)

    def runs(self) -> list[str]:
        base = self.root / JOURNAL_DIR
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if (p / "ledger.jsonl").is_file())

    def entries(self, run_id: str) -> Iterator[dict[str, Any]]:
        ledger = self.root / JOURNAL_DIR / run_id / "ledger.jsonl"
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

    def blob(self, sha: str) -> bytes:
        return (self.root / JOURNAL_DIR / "blobs" / sha).read_bytes()


def _restorer(kind: str, where: Path) -> Callable[[Path, dict[str, Any], Path], str]:
    target = RESTORERS.get(kind)
    if target is None:
        raise InputError(f"{where}: unknown journal entry kind {kind!r}")
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Restored:
    path: str
    outcome: str  # restored | already | conflict | missing


def rollback(root: Path, run_id: str | None = None) -> tuple[str, list[Restored]]:
    """Undo a run (the latest by default): every file whose content is what
    the run wrote gets its original bytes and mode back. A file changed since
    is left alone and reported as a conflict."""
    journal = Journal(root)
    runs = journal.runs()
    if not runs:
        raise InputError(f"{root / JOURNAL_DIR}: no journal to roll back")
    if run_id is None:
        run_id = runs[-1]
    elif run_id not in runs:
        raise InputError(f"{root / JOURNAL_DIR}: no run '{run_id}' (known: {', '.join(runs)})")
    outcomes: list[Restored] = []
    entries = [e for e in journal.entries(run_id) if e.get("op") == "intend"]
    blob_dir = root / JOURNAL_DIR / "blobs"
    for entry in reversed(entries):
        kind = entry.get("kind", "file")
        if kind != "file":
            outcomes.append(Restored(entry["path"], _restorer(kind, root / JOURNAL_DIR / run_id)(root, entry, blob_dir)))
            continue
        path = Path(entry["path"])
        try:
            sha = file_digest(path)
        except FileNotFoundError:
            outcomes.append(Restored(str(path), "missing"))
            continue
        if sha == entry["before"]:
            outcomes.append(Restored(str(path), "already"))
        elif sha == entry["after"]:
            with atomic_writer(path, entry.get("mode")) as handle, open(blob_dir / entry["before"], "rb") as blob:
                shutil.copyfileobj(blob, handle, 1 << 20)
            outcomes.append(Restored(str(path), "restored"))
        else:
            outcomes.append(Restored(str(path), "conflict"))
    marker = root / JOURNAL_DIR / run_id / "rolled-back"
    if all(o.outcome in ("restored", "already") for o in outcomes):
        marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + "\n")
    return run_id, outcomes
