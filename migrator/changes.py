"""Every kind of change migrator makes to a user's file, with its undo.

Engines only describe a change; :func:`migrator.write.write` applies it and
:func:`migrator.write.rollback` undoes it. Each kind is one class with
``apply`` (write, journalled) and ``undo`` (restore from the journal entry)
side by side, as Alembic's migration steps carry their upgrade and
downgrade; :data:`CHANGES` maps the kind a journal entry names to its class.
A change also declares its own ``--emit-patches`` output.

Every ``apply`` leaves its file either untouched or fully changed: the
journal records the intent (with the original's blob) before the file is
touched, and the new content replaces the file in one rename or one SQLite
transaction. A change that cannot be applied raises :class:`ChangeError`
(:class:`StalePlan` when the file changed since it was planned).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Mapping, Sequence, TextIO
from urllib.parse import quote

from migrator import jsonlines
from migrator.errors import ChangeError, StalePlan
from migrator.findings import FileResult, digest
from migrator.jsonedit import JsonSyntaxError
from migrator.hashing import StreamDigest
from migrator.journal import JournalRun, atomic_replace, atomic_write, crash_point, file_digest, install
from migrator.pointers import PointerPattern, compile_patch
from migrator.sqlitedb import Surface, columns_of, connect, connect_ro, fingerprint, key_column, literal
from migrator.sqlitedb import quote_name, table_sql

# A conflict shows the diff of what --force would restore, up to this size.
_DIFF_LIMIT = 1 << 20


@dataclass(frozen=True)
class Undone:
    """What undoing one journal entry did.

    ``outcome``: ``restored`` (byte for byte), ``restored-content`` (the
    content is back, its bytes may differ: see ``note``), ``already`` (the
    file is as it was before the run), ``conflict`` (changed since the run:
    left as it is unless forced), ``missing`` (the file is gone).
    """

    path: str
    outcome: str
    note: str = ""
    diff: str = ""


class Change:
    """One planned change to one file."""

    #: The journal entry kind this class writes and undoes.
    kind: ClassVar[str]

    path: Path
    display: str

    def describe(self) -> str:
        """The change as the dry run shows it, after its ``---``/``+++``
        lines; a change of bytes in memory is shown as a unified diff by
        :func:`migrator.report.render_diff` instead."""
        return ""

    def apply(self, journal: JournalRun) -> None:
        """Make the change, journalled; raise :class:`ChangeError` if it cannot be made."""
        raise NotImplementedError

    @classmethod
    def undo(cls, entry: Mapping[str, Any], journal: JournalRun, force: bool) -> Undone:
        """Undo one ``intend`` entry this class wrote."""
        raise NotImplementedError

    @property
    def patch_suffix(self) -> str | None:
        """The suffix of this change's ``--emit-patches`` file, or None for none."""
        return None

    def write_patch(self, handle: TextIO) -> None:
        """Write the RFC 6902 documents of the change (``--emit-patches``)."""


def _restore_bytes(entry: Mapping[str, Any], journal: JournalRun, force: bool) -> Undone:
    """Undo a byte-level change: the file gets its original bytes and mode
    back if its content is what the run wrote (or with ``force``)."""
    path = Path(entry["path"])
    try:
        sha = file_digest(path)
    except FileNotFoundError:
        return Undone(str(path), "missing")
    if sha == entry["before"]:
        return Undone(str(path), "already")
    blob = journal.blobs / entry["before"]
    if sha != entry["after"] and not force:
        return Undone(str(path), "conflict", "changed since the run; --force restores the original anyway",
                      _diff(path, blob))
    with atomic_replace(path, entry.get("mode")) as handle, open(blob, "rb") as original:
        for block in iter(lambda: original.read(1 << 20), b""):
            handle.write(block)
    return Undone(str(path), "restored", "forced over changes made since the run" if sha != entry["after"] else "")


def _diff(path: Path, blob: Path) -> str:
    """The unified diff from the file now to the original ``--force`` would restore."""
    if path.stat().st_size > _DIFF_LIMIT or blob.stat().st_size > _DIFF_LIMIT:
        return ""
    now = path.read_bytes().decode("utf-8", "replace").splitlines(keepends=True)
    then = blob.read_bytes().decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(now, then, "now", "original"))


@dataclass
class FileChange(Change):
    """A file rewritten as bytes held in memory (code, prompts, JSON-family
    documents): guarded by the digest of the bytes it was made from."""

    kind: ClassVar[str] = "file"

    path: Path
    display: str
    original: bytes
    updated: bytes
    #: The RFC 6902 patch behind ``updated``, for data files.
    patch: list[dict[str, Any]] | None = None

    def apply(self, journal: JournalRun) -> None:
        try:
            current = self.path.read_bytes()
        except OSError as exc:
            raise ChangeError(f"cannot read before writing: {exc.strerror}") from None
        if digest(current) != digest(self.original):
            # Changed since it was read: never overwrite what we did not see.
            raise StalePlan(self.display)
        journal.intend(self.path, self.kind, journal.keep_blob(self.original), digest(self.updated))
        atomic_write(self.path, self.updated)
        journal.done(self.path)

    @classmethod
    def undo(cls, entry: Mapping[str, Any], journal: JournalRun, force: bool) -> Undone:
        return _restore_bytes(entry, journal, force)

    @property
    def patch_suffix(self) -> str | None:
        return ".patch.json" if self.patch is not None else None

    def write_patch(self, handle: TextIO) -> None:
        handle.write(json.dumps(self.patch, indent=2) + "\n")


class HashingWriter:
    """Writes through to a handle, hashing what passes (beside the writer:
    see :mod:`migrator.hashing`). :meth:`hexdigest` ends the hashing, or
    :meth:`abandon` where the write failed."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.hasher = StreamDigest()

    def write(self, data: bytes) -> int:
        self.hasher.update(data)
        return int(self.handle.write(data))

    def hexdigest(self) -> str:
        return self.hasher.hexdigest()

    def abandon(self) -> None:
        """End the hashing without raising (the caller is raising already)."""
        self.hasher.abandon()


@dataclass
class JsonlChange(Change):
    """A JSONL file rewritten by streaming: never held in memory whole.

    Guard: the sha256 of the bytes the change was planned from; ``apply``
    copies the file into the journal, checking that digest on the way.
    When the plan already wrote the new content beside the file
    (``staged``, with its digest ``staged_sha256``: one pass over the data),
    that file is renamed in; otherwise the migrated lines are streamed from
    the journal's copy into a temp file, which is renamed in. A ``backup``
    the plan copied the original into as it read it becomes the journal's
    copy once the file is found to still hold the same bytes.
    """

    kind: ClassVar[str] = "jsonl"

    path: Path
    display: str
    sha256: str
    patterns: tuple[PointerPattern, ...]
    mapping: Mapping[str, str]
    changed_lines: int
    sample: list[tuple[int, bytes, bytes]] = field(default_factory=list)
    staged: Path | None = None
    staged_sha256: str = ""
    backup: Path | None = None

    def describe(self) -> str:
        out = []
        for number, before, after in self.sample:
            out.append(f"@@ -{number},1 +{number},1 @@\n-{before.decode('utf-8', 'replace')}\n"
                       f"+{after.decode('utf-8', 'replace')}")
        if self.changed_lines > len(self.sample):
            out.append(f"... and {self.changed_lines - len(self.sample)} more changed lines")
        return "\n".join(out)

    def apply(self, journal: JournalRun) -> None:
        staged = self.staged if self.staged is not None and self.staged.is_file() else None
        backup = self.backup if self.backup is not None and self.backup.is_file() else None
        try:
            if backup is not None:
                before = journal.keep_blob_staged(backup, self.path, self.sha256)
            else:
                before = journal.keep_blob_file(self.path, self.sha256)
        except (FileNotFoundError, StalePlan):
            self.discard()
            raise StalePlan(self.display) from None
        if staged is not None:
            # The journal's copy has the digest the staged content was made
            # from: the file is unchanged since the plan, so the staged
            # content is its migration.
            journal.intend(self.path, self.kind, before, self.staged_sha256)
            crash_point()
            install(staged, self.path)
            journal.done(self.path)
            return
        # Stream from the journal's copy: it is the exact bytes the digest
        # guarded, whatever happens to the file meanwhile.
        with atomic_replace(self.path) as handle:
            sink = HashingWriter(handle)
            try:
                with open(journal.blobs / before, "rb") as source:
                    jsonlines.stream(source, self.patterns, self.mapping, sink)  # type: ignore[arg-type]
            except BaseException:
                sink.abandon()  # what the stream raised is what is told
                raise
            journal.intend(self.path, self.kind, before, sink.hexdigest())
            crash_point()
        journal.done(self.path)

    def discard(self) -> None:
        """Remove the staged content and backup, if any (the change is not made)."""
        for path in (self.staged, self.backup):
            if path is not None:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass

    @classmethod
    def undo(cls, entry: Mapping[str, Any], journal: JournalRun, force: bool) -> Undone:
        return _restore_bytes(entry, journal, force)

    @property
    def patch_suffix(self) -> str | None:
        return ".patch.jsonl"

    def write_patch(self, handle: TextIO) -> None:
        def emit(number: int, ops: list[dict[str, Any]]) -> None:
            handle.write(json.dumps({"line": number, "patch": ops}) + "\n")

        with open(self.path, "rb") as source:
            jsonlines.stream(source, self.patterns, self.mapping, on_patch=emit)


_TMP_PREFIX = "migrator_rebuild_"


class _DocumentMigrator:
    """The SQL function that migrates one JSON document cell, keeping its
    text byte for byte outside the renamed values."""

    def __init__(self, pointers: Sequence[str], mapping: Mapping[str, str]) -> None:
        self.patterns = [PointerPattern.parse(p) for p in pointers]
        self.mapping = mapping
        self.candidate = jsonlines.old_value_filter(mapping)

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or not self.candidate.search(value.encode("utf-8", "surrogatepass")):
            return value
        try:
            new, _, _ = jsonlines.migrate_line(value.encode("utf-8"), self.patterns, self.mapping)
        except (JsonSyntaxError, UnicodeEncodeError):
            return value  # not a document: never guess
        return new.decode("utf-8")


def _rebuild(conn: sqlite3.Connection, table: str, create_sql: str, exprs: Mapping[str, str],
             source_table: str | None = None) -> None:
    """Rebuild ``table`` from ``create_sql``, copying every row (rowid
    included) of ``source_table`` (default: the table itself) through
    ``exprs`` (column -> SQL expression), then recreating its indexes and
    triggers. Runs inside the caller's transaction.

    The old table is renamed away first and the new one created from
    ``create_sql`` as written: renaming a new table into place would make
    SQLite rewrite its definition with a quoted name, and a rollback would
    not give the original schema text back."""
    if not re.match(r"^\s*CREATE\s+TABLE\s", create_sql, re.I):
        raise ChangeError(f"cannot read the definition of table {table}")
    old = quote_name(_TMP_PREFIX + table)
    rows_from = source_table or old
    extras = conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name=? AND type IN ('index','trigger') AND sql IS NOT NULL "
        "ORDER BY CASE type WHEN 'index' THEN 0 ELSE 1 END, rowid",
        (table,),
    ).fetchall()
    conn.execute(f"ALTER TABLE {quote_name(table)} RENAME TO {old}")
    conn.execute(create_sql)
    columns = columns_of(conn, table)
    has_rowid = "WITHOUT ROWID" not in re.sub(r"\s+", " ", create_sql.upper())
    target = (["rowid"] if has_rowid else []) + [quote_name(c) for c in columns]
    source = (["rowid"] if has_rowid else []) + [exprs.get(c, quote_name(c)) for c in columns]
    before = conn.execute(f"SELECT count(*) FROM {rows_from}").fetchone()[0]
    conn.execute(f"INSERT INTO {quote_name(table)} ({', '.join(target)}) SELECT {', '.join(source)} "
                 f"FROM {rows_from}")
    after = conn.execute(f"SELECT count(*) FROM {quote_name(table)}").fetchone()[0]
    if before != after:
        raise ChangeError(f"table {table}: copied {after} of {before} rows")
    conn.execute(f"DROP TABLE {old}")  # its indexes and triggers go with it
    for (sql,) in extras:
        conn.execute(sql)


def _wal_pending(path: Path) -> bool:
    """Whether a write-ahead log beside the database holds frames: then the
    file's bytes alone are not the database."""
    try:
        return os.path.getsize(str(path) + "-wal") > 0
    except OSError:
        return False


@dataclass
class SqliteChange(Change):
    """The change to one OpenClaw agent database: its surface tables rebuilt
    with the new values (and widened CHECKs) in one transaction.

    Guard: the fingerprint of the surface (:func:`migrator.sqlitedb.fingerprint`).
    Inside the write lock, before anything changes, the journal keeps the
    database file's own bytes (an online backup instead, when a write-ahead
    log holds part of it), so an unchanged database rolls back byte for byte.
    """

    kind: ClassVar[str] = "sqlite"

    path: Path
    display: str
    surface: Surface
    fingerprint: str
    widen: dict[str, str]
    counts: dict[str, int]
    mapping: dict[str, str]

    def describe(self) -> str:
        lines = [f"@@ sqlite {self.display} @@"]
        for what, n in self.counts.items():
            if n:
                lines.append(f"~ {what}: {n} values renamed")
        for table in self.widen:
            lines.append(f"~ {table}: CHECK widened to allow both vocabularies (table rebuilt)")
        return "\n".join(lines)

    def _exprs(self, conn: sqlite3.Connection, table: str) -> dict[str, str]:
        exprs: dict[str, str] = {}
        case = " ".join(f"WHEN {literal(o)} THEN {literal(n)}" for o, n in self.mapping.items())
        for t, column in self.surface.columns:
            if t == table:
                exprs[column] = f"CASE {quote_name(column)} {case} ELSE {quote_name(column)} END"
        for i, (t, column, pointers) in enumerate(self.surface.documents):
            if t == table:
                name = f"migrator_document_{i}"
                conn.create_function(name, 1, _DocumentMigrator(pointers, self.mapping), deterministic=True)
                exprs[column] = f"{name}({quote_name(column)})"
        return exprs

    def _backup(self, journal: JournalRun) -> tuple[str, str]:
        """Keep the database as the transaction starts: ``("bytes", sha)``
        of the file itself, or ``("content", sha)`` of an online backup."""
        if not _wal_pending(self.path):
            # Our write lock stops every other writer, and nothing is
            # written to the file before COMMIT: these are its bytes.
            return "bytes", journal.keep_blob_file(self.path, file_digest(self.path))
        partial = journal.directory / "sqlite-backup.partial"
        if partial.exists():
            partial.unlink()
        # A second connection reads while ours holds the write lock: the
        # backup is exactly the state the transaction starts from.
        source, copy = connect_ro(self.path), connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        try:
            return "content", journal.keep_blob_file(partial, file_digest(partial))
        finally:
            partial.unlink()

    def apply(self, journal: JournalRun) -> None:
        try:
            conn = connect(self.path, timeout=2.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise ChangeError(f"cannot open database: {exc}") from None
        try:
            self._apply(conn, journal)
        except sqlite3.Error as exc:
            raise ChangeError(f"database error, nothing changed: {exc}") from None
        finally:
            conn.close()
        # The bytes the run left, so that rollback knows them again.
        journal.done(self.path, sha=None if _wal_pending(self.path) else file_digest(self.path))

    def _apply(self, conn: sqlite3.Connection, journal: JournalRun) -> None:
        # Foreign keys off and legacy rename: the documented rebuild; the
        # check at the end proves no reference broke.
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA legacy_alter_table=ON")
        conn.execute("BEGIN IMMEDIATE")
        committed = False
        try:
            if fingerprint(conn, self.surface) != self.fingerprint:
                raise StalePlan(self.display)
            backup_kind, backup = self._backup(journal)
            # The change counter the file began from: our COMMIT adds one, so
            # a rollback can tell the file untouched since even if the run was
            # killed before its ``done`` line recorded the bytes it left.
            counter = _change_counter(self.path) if backup_kind == "bytes" else None
            crash_point()
            for table in self.surface.tables:
                sql = self.widen.get(table) or table_sql(conn, table)
                if sql is None:
                    continue
                _rebuild(conn, table, sql, self._exprs(conn, table))
                crash_point()
            problems = conn.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise ChangeError(f"foreign key check failed after the rebuild: {problems[0]}")
            status = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if status != "ok":
                raise ChangeError(f"integrity check failed after the rebuild: {status}")
            after = fingerprint(conn, self.surface)
            # In WAL mode no header field counts commits: the digest of all the
            # content the transaction leaves tells a rollback, even without the
            # ``done`` line, that nothing was written since (one more read).
            content = content_digest(conn) if backup_kind == "bytes" and counter is None else None
            journal.intend(self.path, self.kind, self.fingerprint, after, backup=backup,
                           backup_kind=backup_kind, surface=self.surface.to_json(), counter=counter,
                           content=content)
            crash_point()
            conn.execute("COMMIT")
            committed = True
        finally:
            if not committed:
                conn.execute("ROLLBACK")

    @classmethod
    def undo(cls, entry: Mapping[str, Any], journal: JournalRun, force: bool) -> Undone:
        """If the database is byte for byte as the run left it, its original
        bytes come back; if only its content is (the gateway wrote to it
        since, or a write-ahead log was in use), the original content comes
        back through an online backup, and the outcome says so."""
        path = Path(entry["path"])
        if not path.exists():
            return Undone(str(path), "missing")
        surface = Surface.from_json(entry["surface"])
        blob = journal.blobs / entry["backup"]
        conn = connect(path, timeout=2.0)
        try:
            current = fingerprint(conn, surface)
        finally:
            conn.close()
        if current == entry["before"]:
            return Undone(str(path), "already")
        if current != entry["after"] and not force:
            return Undone(str(path), "conflict", "its session tables changed since the run; "
                                                 "--force restores the original content anyway")
        untouched = _untouched_since(entry, journal) if entry.get("backup_kind") == "bytes" else None
        if current == entry["after"] and untouched:
            with atomic_replace(path, entry.get("mode")) as handle, open(blob, "rb") as original:
                for block in iter(lambda: original.read(1 << 20), b""):
                    handle.write(block)
            return Undone(str(path), "restored")
        _restore_tables(path, blob, surface)
        if current != entry["after"]:
            why = "forced over changes made since the run; the database was written to since the run"
        elif untouched is False:
            why = "the database was written to since the run"
        elif entry.get("backup_kind") != "bytes":
            why = "a write-ahead log was open when the run began, so the journal holds its content, not its bytes"
        else:
            why = "the run could not record the bytes it left (a write-ahead log was in use)"
        return Undone(str(path), "restored-content",
                      f"{why}: its session tables are restored from the journal's copy, other tables keep "
                      f"what was written since, the file's bytes differ")

    def write_patch(self, handle: TextIO) -> None:
        """Per row: a test/replace patch of the column value (pointer ``""``)
        or of the document; per widened table: the CHECK before and after."""
        conn = connect_ro(self.path)
        out: dict[str, Any] = {"path": self.display, "schema": [], "rows": []}
        try:
            for table, sql in self.widen.items():
                out["schema"].append({"table": table, "before": table_sql(conn, table), "after": sql})
            olds = sorted(self.mapping)
            marks = ",".join("?" * len(olds))
            for table, column in self.surface.columns:
                key = key_column(conn, table)
                for k, value in conn.execute(
                    f"SELECT {quote_name(key)}, {quote_name(column)} FROM {quote_name(table)} "
                    f"WHERE {quote_name(column)} IN ({marks})", olds
                ):
                    out["rows"].append({"table": table, "column": column, "key": k, "patch": [
                        {"op": "test", "path": "", "value": value},
                        {"op": "replace", "path": "", "value": self.mapping[value]}]})
            for table, column, pointers in self.surface.documents:
                key = key_column(conn, table)
                patterns = [PointerPattern.parse(p) for p in pointers]
                for k, text in conn.execute(f"SELECT {quote_name(key)}, {quote_name(column)} FROM {quote_name(table)}"):
                    try:
                        ops = compile_patch(json.loads(text), patterns, self.mapping)
                    except (TypeError, ValueError):
                        continue
                    if ops:
                        out["rows"].append({"table": table, "column": column, "key": k, "patch": ops})
        finally:
            conn.close()
        json.dump(out, handle, indent=2)
        handle.write("\n")

    @property
    def patch_suffix(self) -> str | None:
        return ".patch.json"


def _restore_tables(path: Path, blob: Path, surface: Surface) -> None:
    """Put the surface tables of the copy ``blob`` back into the database at
    ``path`` (the same rebuild as the change, from the copy), in one
    transaction; every other table keeps what was written to it since."""
    conn = connect(f"file:{quote(str(path))}", uri=True, timeout=2.0, isolation_level=None)
    try:
        conn.execute("ATTACH DATABASE ? AS journal_copy", (f"file:{quote(str(blob))}?mode=ro",))
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA legacy_alter_table=ON")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table in surface.tables:
                row = conn.execute("SELECT sql FROM journal_copy.sqlite_master WHERE type='table' AND name=?",
                                   (table,)).fetchone()
                if row is None or table_sql(conn, table) is None:
                    continue
                _rebuild(conn, table, row[0], {}, f"journal_copy.{quote_name(table)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise ChangeError(f"{path}: cannot restore from the journal: {exc}") from None
    finally:
        conn.close()


def content_digest(conn: sqlite3.Connection) -> str:
    """A digest of everything a database holds as ``conn`` sees it: its
    ``user_version``, its schema, and every row of every ordinary table
    (virtual tables are read through their own shadow tables). Equal digests:
    the same content, whatever the file's bytes."""
    hasher = hashlib.sha256()
    hasher.update(str(conn.execute("PRAGMA user_version").fetchone()[0]).encode())
    tables = []
    for kind, name, sql in conn.execute("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name"):
        hasher.update(repr((kind, name, sql)).encode())
        if kind == "table" and not (sql or "").upper().startswith("CREATE VIRTUAL"):
            tables.append(name)
    for name in tables:
        hasher.update(b"\0" + name.encode())
        for row in conn.execute(f"SELECT * FROM {quote_name(name)}"):
            hasher.update(repr(row).encode())
    return hasher.hexdigest()


def _change_counter(path: Path) -> int | None:
    """The file change counter of a database in rollback-journal mode (its
    header's bytes 24-27, which every committed write adds one to), or None
    (in WAL mode a commit need not touch it)."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
    except OSError:
        return None
    if len(header) < 100 or not header.startswith(b"SQLite format 3\0") or header[18:20] != b"\x01\x01":
        return None
    return int.from_bytes(header[24:28], "big")


def _untouched_since(entry: Mapping[str, Any], journal: JournalRun) -> bool | None:
    """Whether the database is byte for byte as the run left it: by the
    digest its ``done`` line recorded, or (a run killed between COMMIT and
    that line) by the change counter, one past the one the run began from.
    A write-ahead log beside it that the run did not leave: written to since.
    None when nothing tells (the run used a write-ahead log)."""
    path = Path(entry["path"])
    done = _done_entry(journal, str(path))
    left = done.get("sha") if done is not None else None
    if isinstance(left, str):
        return not _wal_pending(path) and file_digest(path) == left
    counter = entry.get("counter")
    if done is None and isinstance(counter, int):
        return not _wal_pending(path) and _change_counter(path) == counter + 1
    content = entry.get("content")
    if done is None and isinstance(content, str) and not _wal_pending(path):
        # WAL mode: every table as the transaction left it. (The read that
        # made the fingerprint checkpointed the log, if no one else holds it.)
        conn = connect_ro(path)
        try:
            return content_digest(conn) == content
        finally:
            conn.close()
    return None


def _done_entry(journal: JournalRun, path: str) -> Mapping[str, Any] | None:
    """The run's ``done`` line for ``path``, or None (killed before it)."""
    from migrator.journal import Journal

    for entry in Journal(journal.root).entries(journal.id):
        if entry.get("op") == "done" and entry.get("path") == path:
            return entry
    return None


#: Every kind of change, by the kind its journal entries name.
CHANGES: dict[str, type[Change]] = {cls.kind: cls for cls in (FileChange, JsonlChange, SqliteChange)}


def change_of(result: FileResult) -> Change | None:
    """The change an engine's result proposes, or None."""
    if result.plan is not None:
        return result.plan
    if result.updated is not None and result.original is not None and result.updated != result.original:
        return FileChange(result.path, result.display, result.original, result.updated, result.patch)
    return None
