"""The journal: every applied change with what it takes to undo it.

Like Alembic's ledger, it lives beside the data it changed:
``.migrator/journal/`` under the project root. Each ``apply --write`` is one
run with a ledger (JSON lines, fsynced) and the original bytes of every file
it touched, stored by content hash. ``rollback`` walks a run backwards and
restores each file whose current content is the one the run wrote.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from migrator.errors import InputError
from migrator.findings import digest

JOURNAL_DIR = Path(".migrator") / "journal"


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


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically: a temp file in the same
    directory, fsync, rename over the target, fsync of the directory. The
    file's mode is kept."""
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
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(directory)


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

    def intend(self, path: Path, before: bytes, after: bytes, kind: str = "file", **extra: Any) -> None:
        """Record a change before it is made: a crash after this line leaves
        the file either as before or as after, and both are known."""
        before_sha = self.keep_blob(before)
        self._append(
            {"op": "intend", "kind": kind, "path": str(path), "before": before_sha, "after": digest(after),
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
    for entry in reversed(entries):
        if entry.get("kind", "file") != "file":
            raise InputError(f"{root / JOURNAL_DIR / run_id}: unknown journal entry kind {entry.get('kind')!r}")
        path = Path(entry["path"])
        try:
            current = path.read_bytes()
        except FileNotFoundError:
            outcomes.append(Restored(str(path), "missing"))
            continue
        sha = digest(current)
        if sha == entry["before"]:
            outcomes.append(Restored(str(path), "already"))
        elif sha == entry["after"]:
            atomic_write(path, journal.blob(entry["before"]), entry.get("mode"))
            outcomes.append(Restored(str(path), "restored"))
        else:
            outcomes.append(Restored(str(path), "conflict"))
    marker = root / JOURNAL_DIR / run_id / "rolled-back"
    if all(o.outcome in ("restored", "already") for o in outcomes):
        marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + "\n")
    return run_id, outcomes
