"""The SQLite engine: OpenClaw's per-agent ``openclaw-agent.sqlite``.

What moves (all from the manifest): the status columns of the named tables,
the status inside the named JSON document columns, and the CHECK constraints
that allow only the old values, widened to allow both vocabularies. SQLite
cannot alter a CHECK in place, so a table is rebuilt (the documented
procedure: new table, copy with the new values, drop, rename, recreate
indexes and triggers) inside one transaction after a backup; no trigger
fires, every rowid is kept, and ``user_version`` is untouched. Other tables
(and their own CHECKs with the same words) are never touched. This module
reads a store and plans; :class:`migrator.changes.SqliteChange` writes it.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Callable, Sequence

from migrator.changes import SqliteChange
from migrator.engines.store import StoreEngine
from migrator.targets import Target, decide
from migrator.engines import Context
from migrator.files import SourcePath
from migrator.findings import FileResult, Finding, Problem
from migrator.manifest import Manifest, StoreSurface
from migrator.sqlitedb import Surface, connect_ro as _connect_ro, fingerprint, json_path as _json_path
from migrator.sqlitedb import key_column as _key_column, literal as _lit, quote_name as _q, table_sql as _table_sql

FINDINGS_PER_FILE = 1000


def _store(manifest: Manifest) -> StoreSurface:
    for store in manifest.stores:
        if store.format == "sqlite":
            return store
    raise LookupError("the manifest names no SQLite store")


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


@dataclass(frozen=True)
class StoreState:
    """What a read of the store found."""

    fingerprint: str
    widen: dict[str, str]  # table -> widened CREATE sql
    counts: dict[str, int]  # "table.column" -> values to migrate
    findings: list[tuple[str, str, int, str, str, str | None]]  # table, column, rowid, name, old, pointer


def _owner_column(conn: sqlite3.Connection, table: str, tables: Sequence[str]) -> str | None:
    """The column of ``table`` that names the session a row belongs to: a
    foreign key to the key of another session table (``session_windows``
    rows belong to a ``session_nodes`` key), or None."""
    for row in conn.execute(f"PRAGMA foreign_key_list({_q(table)})"):
        parent, column, to = row[2], row[3], row[4]
        if parent != table and parent in tables and to == _key_column(conn, parent):
            return str(column)
    return None


def _row_names(conn: sqlite3.Connection, table: str, tables: Sequence[str]) -> tuple[str, Callable[[object, object], str]]:
    """What a person looks a row of ``table`` up by: the SQL to select, and
    how to name the row from its values. A session's own row is named by
    its key; a row that belongs to a session (a window) by the session's
    key and its own key (``agent:main:main (session_id 5b2e...)``)."""
    key = _key_column(conn, table)
    owner = _owner_column(conn, table, tables)
    if owner is None:
        return f"{_q(key)}, NULL", lambda k, _: str(k)
    return f"{_q(key)}, {_q(owner)}", lambda k, o: str(k) if o is None else f"{o} ({key} {k})"


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
    tables = [t for t in surface.tables if _table_sql(conn, t) is not None]
    for table, column in surface.columns:
        sql = _table_sql(conn, table)
        if sql is None:
            continue
        wider = widen_check(widen.get(table, sql), column, allowed, list(vocab.old_to_new.values()))
        if wider is not None:
            widen[table] = wider
        names, name = _row_names(conn, table, tables)
        where = f"FROM {_q(table)} WHERE {_q(column)} IN ({marks})"
        counts[f"{table}.{column}"] = conn.execute(f"SELECT count(*) {where}", olds).fetchone()[0]
        for rowid, k, o, value in conn.execute(f"SELECT rowid, {names}, {_q(column)} {where} LIMIT {limit}", olds):
            found.append((table, column, rowid, name(k, o), value, None))
    for table, column, pointers in surface.documents:
        if _table_sql(conn, table) is None:
            continue
        names, name = _row_names(conn, table, tables)
        for pointer in pointers:
            where = (f"FROM {_q(table)} WHERE json_valid({_q(column)}) AND "
                     f"json_extract({_q(column)}, ?) IN ({marks})")
            args = [_json_path(pointer), *olds]
            counts[f"{table}.{column}{pointer}"] = conn.execute(f"SELECT count(*) {where}", args).fetchone()[0]
            for rowid, k, o, value in conn.execute(
                f"SELECT rowid, {names}, json_extract({_q(column)}, ?) {where} LIMIT {limit}",
                [_json_path(pointer), *args],
            ):
                found.append((table, column, rowid, name(k, o), value, pointer))
    return StoreState(fingerprint(conn, surface), widen, counts, found)


class SqliteEngine(StoreEngine, fmt="sqlite", user_rules=False):
    """OpenClaw agent databases found under a path or state dir."""

    def read(self, source: SourcePath, target: Target, result: FileResult, context: Context) -> FileResult:
        options = context.options
        manifest = options.manifest
        surface = Surface.of(_store(manifest))
        try:
            conn = _connect_ro(source.path)
            try:
                check = conn.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    result.error = Problem("unparsable", f"database is corrupt ({check}); left as it is, "
                                                         f"restore it from a backup")
                    return result
                if not any(_table_sql(conn, table) for table in surface.tables):
                    # At the store's path but holding none of its tables: never guess.
                    result.error = Problem("not-a-store", "not an OpenClaw session store (no session tables)")
                    return result
                state = read_state(conn, surface, manifest, FINDINGS_PER_FILE)
            finally:
                conn.close()
        except sqlite3.OperationalError as exc:
            hint = "; stop the gateway and run again" if "locked" in str(exc) else ""
            result.error = Problem("unreadable", f"cannot read database: {exc}{hint}")
            return result
        except sqlite3.DatabaseError as exc:
            result.error = Problem("unparsable", f"database is corrupt or not SQLite ({exc}); left as it is")
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
            result.error = Problem("kept", decision.refusal)
        elif decision.action == "rewrite":
            result.plan = SqliteChange(source.path, source.display, surface, state.fingerprint, state.widen,
                                       state.counts, dict(vocab.old_to_new))
        return result

    # verify: the change proves itself inside its transaction (row counts,
    # foreign keys, integrity) and rolls back on any failure.
