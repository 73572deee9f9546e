"""SQLite primitives shared by the engine that reads an OpenClaw agent
database and the change that rewrites it (:mod:`migrator.changes`): quoting,
the manifest's surface, the guard digest and a connection that knows the
SQL functions OpenClaw's schema calls."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import quote

from migrator.manifest import StoreSurface
from migrator.pointers import split


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
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


def json_path(pointer: str) -> str:
    # Only literal pointers map to SQLite's JSON path; the manifest's are.
    return "$" + "".join("." + json.dumps(t) for t in split(pointer))


def table_sql(conn: sqlite3.Connection, table: str) -> str | None:
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()
    return row[0] if row else None


def columns_of(conn: sqlite3.Connection, table: str) -> list[str]:
    # table_xinfo hidden: 0 normal, 1 virtual-table hidden, 2/3 generated.
    return [r[1] for r in conn.execute(f"PRAGMA table_xinfo({quote_name(table)})") if r[6] == 0]


def key_column(conn: sqlite3.Connection, table: str) -> str:
    pk = [r for r in conn.execute(f"PRAGMA table_info({quote_name(table)})") if r[5]]
    return pk[0][1] if len(pk) == 1 else "rowid"


def fingerprint(conn: sqlite3.Connection, surface: Surface) -> str:
    """A digest of what a plan relies on: ``user_version``, the schema of
    the surface's tables, and how many rows (and which rowids) hold each
    value of each surface column and document. The ``test`` guard of a
    store: a plan made from one state never runs on another."""
    hasher = hashlib.sha256()
    hasher.update(str(conn.execute("PRAGMA user_version").fetchone()[0]).encode())
    for table in surface.tables:
        hasher.update((table_sql(conn, table) or "").encode())
    for table, column in surface.columns:
        if table_sql(conn, table) is None:
            continue
        for row in conn.execute(
            f"SELECT {quote_name(column)}, count(*), total(rowid) FROM {quote_name(table)} GROUP BY 1 ORDER BY 1"
        ):
            hasher.update(repr(row).encode())
    for table, column, pointers in surface.documents:
        if table_sql(conn, table) is None:
            continue
        for pointer in pointers:
            for row in conn.execute(
                f"SELECT json_extract({quote_name(column)}, ?), count(*), total(rowid) FROM {quote_name(table)} "
                f"WHERE json_valid({quote_name(column)}) GROUP BY 1 ORDER BY 1",
                (json_path(pointer),),
            ):
                hasher.update(repr(row).encode())
    return hasher.hexdigest()


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


def connect_ro(path: Path) -> sqlite3.Connection:
    return connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=1.0)


