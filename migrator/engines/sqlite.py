"""The SQLite engine: OpenClaw's per-agent ``openclaw-agent.sqlite``.

What moves (all from the manifest): the status columns of the named tables,
the status inside the named JSON document columns, and the CHECK constraints
that allow only the old values, widened to allow both vocabularies. SQLite
cannot alter a CHECK in place, so a table is rebuilt (the documented
procedure: new table, copy with the new values, drop, rename, recreate
indexes and triggers) inside one transaction after an online backup; no
trigger fires, every rowid is kept, and ``user_version`` is untouched.
Other tables (and their own CHECKs with the same words) are never touched.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import quote

from migrator import jsonlines
from migrator.rules import Rule
from migrator.datarules import store_rules, StoreEngine, decide
from migrator.engines import BaseEngine, Context
from migrator.files import SourcePath
from migrator.findings import FileResult, Finding, StalePlan
from migrator.jsonedit import JsonSyntaxError
from migrator.journal import JournalRun, crash_point, fsync_dir
from migrator.manifest import Manifest, StoreSurface
from migrator.pointers import PointerPattern, split

FINDINGS_PER_FILE = 1000
_TMP_PREFIX = "migrator_rebuild_"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Surface:
    """The SQLite store surface of the manifest, split into its parts."""

    columns: tuple[tuple[str, str], ...]  # (table, column)
    documents: tuple[tuple[str, str, tuple[str, ...]], ...]  # (table, column, pointers)

    @classmethod
    def of(cls, store: StoreSurface) -> "Surface":
        columns = tuple(tuple(c.split(".", 1)) for c in store.columns)
        documents = tuple((*k.split(".", 1), tuple(v)) for k, v in store.documents.items())
        return cls(columns, documents)  # type: ignore[arg-type]

    @property
    def tables(self) -> list[str]:
        seen: list[str] = []
        for entry in (*self.columns, *self.documents):
            table = str(entry[0])
            if table not in seen:
                seen.append(table)
        return seen

    def to_json(self) -> dict[str, Any]:
        return {"columns": [list(c) for c in self.columns], "documents": [[t, c, list(p)] for t, c, p in self.documents]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Surface":
        return cls(tuple(tuple(c) for c in data["columns"]),  # type: ignore[misc,unused-ignore]
                   tuple((t, c, tuple(p)) for t, c, p in data["documents"]))


def _store(manifest: Manifest) -> StoreSurface:
    for store in manifest.stores:
        if store.format == "sqlite":
            return store
    raise LookupError("the manifest names no SQLite store")


def _json_path(pointer: str) -> str:
    # Only literal pointers map to SQLite's JSON path; the manifest's are.
    return "$" + "".join("." + json.dumps(t) for t in split(pointer))


def _table_sql(conn: sqlite3.Connection, table: str) -> str | None:
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()
    return row[0] if row else None


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    # table_xinfo hidden: 0 normal, 1 virtual-table hidden, 2/3 generated.
    return [r[1] for r in conn.execute(f"PRAGMA table_xinfo({_q(table)})") if r[6] == 0]


def _key_column(conn: sqlite3.Connection, table: str) -> str:
    pk = [r for r in conn.execute(f"PRAGMA table_info({_q(table)})") if r[5]]
    return pk[0][1] if len(pk) == 1 else "rowid"


def widen_check(sql: str, column: str, old_values: frozenset[str], new_values: Sequence[str]) -> str | None:
    """The CREATE TABLE ``sql`` with ``column IN (...)`` lists that hold
    exactly ``old_values`` extended by ``new_values``; None if none needs it.
    A list that already holds the new names, or other words, is left alone."""
    pattern = re.compile(
        r"((?:\b" + re.escape(column) + r"\b|\"" + re.escape(column) + r"\"|`" + re.escape(column) + r"`)"
        r"\s+IN\s*\()([^()]*)(\))",
        re.I,
    )
    changed = False

    def extend(match: re.Match[str]) -> str:
        nonlocal changed
        items = re.findall(r"'((?:[^']|'')*)'", match.group(2))
        if frozenset(i.replace("''", "'") for i in items) != old_values:
            return match.group(0)
        changed = True
        sep = ", " if ", " in match.group(2) else ","
        body = match.group(2).rstrip()
        tail = match.group(2)[len(body):]
        return match.group(1) + body + "".join(sep + _lit(v) for v in new_values) + tail + match.group(3)

    out = pattern.sub(extend, sql)
    return out if changed else None


def fingerprint(conn: sqlite3.Connection, surface: Surface, old_and_new: Iterable[str] = ()) -> str:
    """A digest of what a plan relies on: ``user_version``, the schema of
    the surface's tables, and how many rows (and which rowids) hold each
    value of each surface column and document. The ``test`` guard of a
    store: a plan made from one state never runs on another."""
    hasher = hashlib.sha256()
    hasher.update(str(conn.execute("PRAGMA user_version").fetchone()[0]).encode())
    for table in surface.tables:
        hasher.update((_table_sql(conn, table) or "").encode())
    for table, column in surface.columns:
        if _table_sql(conn, table) is None:
            continue
        for row in conn.execute(
            f"SELECT {_q(column)}, count(*), total(rowid) FROM {_q(table)} GROUP BY 1 ORDER BY 1"
        ):
            hasher.update(repr(row).encode())
    for table, column, pointers in surface.documents:
        if _table_sql(conn, table) is None:
            continue
        for pointer in pointers:
            for row in conn.execute(
                f"SELECT json_extract({_q(column)}, ?), count(*), total(rowid) FROM {_q(table)} "
                f"WHERE json_valid({_q(column)}) GROUP BY 1 ORDER BY 1",
                (_json_path(pointer),),
            ):
                hasher.update(repr(row).encode())
    return hasher.hexdigest()


@dataclass(frozen=True)
class StoreState:
    """What a read of the store found."""

    fingerprint: str
    widen: dict[str, str]  # table -> widened CREATE sql
    counts: dict[str, int]  # "table.column" -> values to migrate
    findings: list[tuple[str, str, int, str, str, str | None]]  # table, column, rowid, key, old, pointer
    user_version: int


def read_state(conn: sqlite3.Connection, surface: Surface, manifest: Manifest, limit: int) -> StoreState:
    """Survey the store: values to migrate, CHECKs to widen, the guard."""
    vocab = manifest.vocabulary
    olds = sorted(vocab.old)
    marks = ",".join("?" * len(olds))
    # The values the CHECKs allow: the vocabulary but what the manifest says they lack.
    absent = frozenset(v for store in manifest.stores if store.columns for v in store.absent_from_columns)
    allowed = (frozenset(vocab.old) | frozenset(vocab.unchanged)) - absent
    widen: dict[str, str] = {}
    counts: dict[str, int] = {}
    found: list[tuple[str, str, int, str, str, str | None]] = []
    for table, column in surface.columns:
        sql = _table_sql(conn, table)
        if sql is None:
            continue
        wider = widen_check(widen.get(table, sql), column, allowed, list(vocab.old_to_new.values()))
        if wider is not None:
            widen[table] = wider
        key = _key_column(conn, table)
        where = f"FROM {_q(table)} WHERE {_q(column)} IN ({marks})"
        counts[f"{table}.{column}"] = conn.execute(f"SELECT count(*) {where}", olds).fetchone()[0]
        for rowid, k, value in conn.execute(f"SELECT rowid, {_q(key)}, {_q(column)} {where} LIMIT {limit}", olds):
            found.append((table, column, rowid, str(k), value, None))
    for table, column, pointers in surface.documents:
        if _table_sql(conn, table) is None:
            continue
        key = _key_column(conn, table)
        for pointer in pointers:
            where = (f"FROM {_q(table)} WHERE json_valid({_q(column)}) AND "
                     f"json_extract({_q(column)}, ?) IN ({marks})")
            args = [_json_path(pointer), *olds]
            counts[f"{table}.{column}{pointer}"] = conn.execute(f"SELECT count(*) {where}", args).fetchone()[0]
            for rowid, k, value in conn.execute(
                f"SELECT rowid, {_q(key)}, json_extract({_q(column)}, ?) {where} LIMIT {limit}",
                [_json_path(pointer), *args],
            ):
                found.append((table, column, rowid, str(k), value, pointer))
    return StoreState(
        fingerprint(conn, surface),
        widen,
        counts,
        found,
        conn.execute("PRAGMA user_version").fetchone()[0],
    )


def _octet_length(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return len(value)
    return len(str(value).encode("utf-8"))


# SQL functions OpenClaw's schema calls in CHECK constraints that are newer
# than the SQLite some Pythons ship (octet_length: SQLite 3.43; Python 3.11
# often links 3.40). Without them every write to those tables, and even
# PRAGMA integrity_check, fails with "unknown function".
_FUNCTIONS_SINCE: tuple[tuple[tuple[int, int, int], str, Callable[[object], int | None]], ...] = (
    ((3, 43, 0), "octet_length", _octet_length),
)


def connect(database: str | Path, **kwargs: Any) -> sqlite3.Connection:
    """A connection that understands the SQL functions OpenClaw's schema uses."""
    conn: sqlite3.Connection = sqlite3.connect(database, **kwargs)
    for since, name, function in _FUNCTIONS_SINCE:
        if sqlite3.sqlite_version_info < since:
            conn.create_function(name, 1, function, deterministic=True)
    return conn


def _connect_ro(path: Path) -> sqlite3.Connection:
    return connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=1.0)


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


def _rebuild(conn: sqlite3.Connection, table: str, create_sql: str, exprs: Mapping[str, str]) -> None:
    """Rebuild ``table`` from ``create_sql``, copying every row (rowid
    included) through ``exprs`` (column -> SQL expression), then recreating
    its indexes and triggers. Runs inside the caller's transaction."""
    tmp = _TMP_PREFIX + table
    header = re.compile(r"^\s*CREATE\s+TABLE\s+(?:\"(?:[^\"]|\"\")+\"|`[^`]+`|\[[^\]]+\]|[\w$]+)", re.I)
    if not header.match(create_sql):
        raise ValueError(f"cannot read the definition of table {table}")
    conn.execute(header.sub(f"CREATE TABLE {_q(tmp)}", create_sql, count=1))
    columns = _columns(conn, table)
    has_rowid = "WITHOUT ROWID" not in re.sub(r"\s+", " ", create_sql.upper())
    target = ([ "rowid"] if has_rowid else []) + [_q(c) for c in columns]
    source = (["rowid"] if has_rowid else []) + [exprs.get(c, _q(c)) for c in columns]
    extras = conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name=? AND type IN ('index','trigger') AND sql IS NOT NULL "
        "ORDER BY CASE type WHEN 'index' THEN 0 ELSE 1 END, rowid",
        (table,),
    ).fetchall()
    before = conn.execute(f"SELECT count(*) FROM {_q(table)}").fetchone()[0]
    conn.execute(f"INSERT INTO {_q(tmp)} ({', '.join(target)}) SELECT {', '.join(source)} FROM {_q(table)}")
    after = conn.execute(f"SELECT count(*) FROM {_q(tmp)}").fetchone()[0]
    if before != after:
        raise ValueError(f"table {table}: copied {after} of {before} rows")
    conn.execute(f"DROP TABLE {_q(table)}")
    conn.execute(f"ALTER TABLE {_q(tmp)} RENAME TO {_q(table)}")
    for (sql,) in extras:
        conn.execute(sql)


@dataclass
class SqlitePlan:
    """The change to one OpenClaw database, applied by :meth:`apply`."""

    path: Path
    display: str
    surface: Surface
    fingerprint: str
    widen: dict[str, str]
    counts: dict[str, int]
    mapping: dict[str, str]
    allowed: frozenset[str] = field(default_factory=frozenset)

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
        case = " ".join(f"WHEN {_lit(o)} THEN {_lit(n)}" for o, n in self.mapping.items())
        for t, column in self.surface.columns:
            if t == table:
                exprs[column] = f"CASE {_q(column)} {case} ELSE {_q(column)} END"
        for i, (t, column, pointers) in enumerate(self.surface.documents):
            if t == table:
                name = f"migrator_document_{i}"
                conn.create_function(name, 1, _DocumentMigrator(pointers, self.mapping), deterministic=True)
                exprs[column] = f"{name}({_q(column)})"
        return exprs

    def _backup(self, journal: JournalRun) -> Path:
        directory = journal.directory / "sqlite"
        directory.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(str(self.path).encode()).hexdigest()[:16] + ".sqlite"
        partial = directory / (name + ".partial")
        if partial.exists():
            partial.unlink()
        # A second connection reads while ours holds the write lock: the
        # backup is exactly the state the transaction starts from.
        source = _connect_ro(self.path)
        copy = connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, directory / name)
        fsync_dir(directory)
        return directory / name

    def apply(self, journal: JournalRun) -> None:
        try:
            conn = connect(self.path, timeout=2.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise ValueError(f"cannot open database: {exc}") from None
        try:
            self._apply(conn, journal)
        except sqlite3.Error as exc:
            raise ValueError(f"database error, nothing changed: {exc}") from None
        finally:
            conn.close()

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
            backup = self._backup(journal)
            crash_point()
            for table in self.surface.tables:
                sql = self.widen.get(table) or _table_sql(conn, table)
                if sql is None:
                    continue
                _rebuild(conn, table, sql, self._exprs(conn, table))
                crash_point()
            problems = conn.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise ValueError(f"foreign key check failed after the rebuild: {problems[0]}")
            status = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if status != "ok":
                raise ValueError(f"integrity check failed after the rebuild: {status}")
            after = fingerprint(conn, self.surface)
            journal.intend_digests(self.path, self.fingerprint, after, kind="sqlite",
                                   backup=str(backup), surface=self.surface.to_json())
            crash_point()
            conn.execute("COMMIT")
            committed = True
        finally:
            if not committed:
                conn.execute("ROLLBACK")
        journal.done(self.path)

    def write_patches(self, handle: Any) -> None:
        """Per row: a test/replace patch of the column value (pointer ``""``)
        or of the document; per widened table: the CHECK before and after."""
        conn = _connect_ro(self.path)
        out: dict[str, Any] = {"path": self.display, "schema": [], "rows": []}
        try:
            for table, sql in self.widen.items():
                out["schema"].append({"table": table, "before": _table_sql(conn, table), "after": sql})
            olds = sorted(self.mapping)
            marks = ",".join("?" * len(olds))
            for table, column in self.surface.columns:
                key = _key_column(conn, table)
                for k, value in conn.execute(
                    f"SELECT {_q(key)}, {_q(column)} FROM {_q(table)} WHERE {_q(column)} IN ({marks})", olds
                ):
                    out["rows"].append({"table": table, "column": column, "key": k, "patch": [
                        {"op": "test", "path": "", "value": value},
                        {"op": "replace", "path": "", "value": self.mapping[value]}]})
            for table, column, pointers in self.surface.documents:
                key = _key_column(conn, table)
                patterns = [PointerPattern.parse(p) for p in pointers]
                from migrator.pointers import compile_patch

                for k, text in conn.execute(f"SELECT {_q(key)}, {_q(column)} FROM {_q(table)}"):
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


def restore(root: Path, entry: Mapping[str, Any], blob_dir: Path) -> str:
    """Undo one journalled SQLite change: if the database is as the run left
    it, copy the backup back over it (online backup, same content)."""
    path = Path(entry["path"])
    if not path.exists():
        return "missing"
    surface = Surface.from_json(entry["surface"])
    conn = connect(path, timeout=2.0)
    try:
        current = fingerprint(conn, surface)
        if current == entry["before"]:
            return "already"
        if current != entry["after"]:
            return "conflict"
        source = connect(f"file:{quote(entry['backup'])}?mode=ro", uri=True)
        try:
            source.backup(conn)
        finally:
            source.close()
        return "restored"
    finally:
        conn.close()


class SqliteEngine(StoreEngine, BaseEngine):
    """OpenClaw agent databases found under a path or state dir."""

    kind = "sqlite"
    format = "sqlite"

    @functools.cached_property
    def rules(self) -> tuple[Rule, ...]:
        return store_rules((self.format,), user_rules=False)

    def process(self, source: SourcePath, data: bytes | None, context: Context) -> FileResult:
        options = context.options
        manifest = options.manifest
        target, result = self.start(source, options, self.kind)
        if result.error:
            return result
        surface = Surface.of(_store(manifest))
        try:
            conn = _connect_ro(source.path)
            try:
                check = conn.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    result.error = f"database is corrupt ({check}); left as it is, restore it from a backup"
                    return result
                state = read_state(conn, surface, manifest, FINDINGS_PER_FILE)
            finally:
                conn.close()
        except sqlite3.OperationalError as exc:
            hint = "; stop the gateway and run again" if "locked" in str(exc) else ""
            result.error = f"cannot read database: {exc}{hint}"
            return result
        except sqlite3.DatabaseError as exc:
            result.error = f"database is corrupt or not SQLite ({exc}); left as it is"
            return result
        decision = decide(target, options)
        vocab = manifest.vocabulary
        # Sorted by what a person looks rows up by (the session key), as the patch file names them.
        listed = sorted(state.findings[:FINDINGS_PER_FILE], key=lambda f: (f[0], str(f[3]), f[1], f[5] or "", f[2]))
        for table, column, rowid, key, old, pointer in listed:
            where = f"{table}.{column}" + (f" document {pointer}" if pointer else "")
            result.findings.append(Finding(
                source.display, rowid, 1, self.kind, old, vocab.to_new(old), "certain", decision.action,
                target.rule, f"the session status of `{key}` in {where} of an OpenClaw agent database; {decision.why}",
                pointer=pointer, table=table, column_name=column, key=str(key)))
        total = sum(state.counts.values())
        if total > FINDINGS_PER_FILE:
            result.notes.append(f"{source.display}: {total - len(result.findings)} more values to migrate not listed")
        if not total and not state.widen:
            return result
        if decision.refusal:
            result.error = decision.refusal
        elif decision.action == "rewrite":
            result.plan = SqlitePlan(source.path, source.display, surface, state.fingerprint, state.widen,
                                     state.counts, dict(vocab.old_to_new))
        return result

    # verify: the plan proves itself inside its transaction (row counts,
    # foreign keys, integrity) and rolls back on any failure.
