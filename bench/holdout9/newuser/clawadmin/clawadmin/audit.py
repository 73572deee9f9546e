"""What operators did through the page, in SQLite (one connection per request)."""

from __future__ import annotations

import sqlite3
import time

from flask import Flask, current_app, g

STATES = ("pending", "done", "failed")

SCHEMA = """
CREATE TABLE IF NOT EXISTS actions (
    id     INTEGER PRIMARY KEY,
    at     REAL NOT NULL,
    who    TEXT NOT NULL,
    key    TEXT NOT NULL,
    action TEXT NOT NULL,
    state  TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    note   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS actions_key ON actions (key, at);
"""


def db() -> sqlite3.Connection:
    if "audit_db" not in g:
        g.audit_db = sqlite3.connect(current_app.config["AUDIT_DB"])
        g.audit_db.row_factory = sqlite3.Row
    return g.audit_db


def close(_exc: BaseException | None = None) -> None:
    conn = g.pop("audit_db", None)
    if conn is not None:
        conn.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close)
    with app.app_context():
        db().executescript(SCHEMA)


def start(key: str, action: str, who: str) -> int:
    with db() as conn:
        cur = conn.execute(
            "INSERT INTO actions (at, who, key, action, state) VALUES (?, ?, ?, ?, 'pending')",
            (time.time(), who, key, action),
        )
    return int(cur.lastrowid)


def finish(action_id: int, ok: bool, note: str = "") -> None:
    state = "done" if ok else "failed"
    with db() as conn:
        conn.execute("UPDATE actions SET state = ?, note = ? WHERE id = ?", (state, note, action_id))


def for_key(key: str) -> list[sqlite3.Row]:
    return db().execute("SELECT * FROM actions WHERE key = ? ORDER BY at DESC LIMIT 20", (key,)).fetchall()


def by_state(state: str) -> list[sqlite3.Row]:
    return db().execute("SELECT * FROM actions WHERE state = ? ORDER BY at DESC LIMIT 200", (state,)).fetchall()
