"""A project's own SQLite column that stores the status of session rows:
``INSERT INTO nudges (key, seen_status, ...) VALUES (?, ?, ...)`` in a
method every caller passes ``row["status"]`` of ``openclaw sessions --json``,
read back with ``WHERE seen_status = ?`` in another method. A status another
module passes that method is a session status: one value (a query cannot
match both names), kept in expand and renamed in contract, as a writer is.
The same table's own ``state`` column, queried the same way, is left alone.
(The module that defines the table holds an old name of its own, here in its
``CHECK``: only such modules are asked what their callers pass.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import apply_phase, write_package

DB = '''"""The nudges we sent, one row each."""

import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS nudges (
    key TEXT NOT NULL,
    seen_status TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'sent' CHECK (state IN ('sent', 'done', 'failed'))
)
"""


class Ledger:
    def __init__(self, path):
        self.con = sqlite3.connect(path)
        self.con.executescript(SCHEMA)

    def record(self, key, seen_status):
        with self.con:
            self.con.execute("INSERT INTO nudges (key, seen_status) VALUES (?, ?)", (key, seen_status))

    def close(self, key, state):
        with self.con:
            self.con.execute("UPDATE nudges SET state = ? WHERE key = ?", (state, key))

    def with_status(self, seen_status):
        return self.con.execute("SELECT key FROM nudges WHERE seen_status = ?", (seen_status,)).fetchall()

    def with_state(self, state):
        return self.con.execute("SELECT key FROM nudges WHERE state = ?", (state,)).fetchall()
'''

LOOP = '''"""Nudge the sessions that stopped, and report."""

import json
import subprocess

from relay.db import Ledger


def sessions():
    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out).get("sessions", [])


def sweep(ledger: Ledger):
    for s in sessions():
        ledger.record(s["key"], s["status"])


def report(ledger: Ledger):
    return {"stopped": len(ledger.with_status("STOPPED")), "closed": len(ledger.with_state("failed"))}
'''

BEFORE = {"db.py": DB, "loop.py": LOOP.replace("STOPPED", "killed")}
CONTRACT = {"loop.py": LOOP.replace("STOPPED", "halted")}


def test_expand_keeps_the_one_value_a_query_matches(tmp_path: Path) -> None:
    package = write_package(tmp_path, "relay", BEFORE)
    apply_phase(tmp_path, "expand", package, BEFORE, {})


def test_contract_renames_it_and_the_query_finds_the_stored_rows(tmp_path: Path) -> None:
    package = write_package(tmp_path, "relay", BEFORE)
    apply_phase(tmp_path, "contract", package, BEFORE, CONTRACT)
    code = (
        "from relay.db import Ledger\nfrom relay.loop import report\n"
        "ledger = Ledger(':memory:')\nledger.record('a', 'halted')\nledger.record('b', 'running')\n"
        "ledger.close('b', 'failed')\nprint(report(ledger))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "{'stopped': 1, 'closed': 1}"


def test_without_session_rows_stored_the_column_is_the_projects_own(tmp_path: Path) -> None:
    # Nothing records a session row's status: `seen_status` holds whatever the project writes.
    files = {"db.py": DB, "loop.py": BEFORE["loop.py"].replace('ledger.record(s["key"], s["status"])',
                                                               'ledger.record(s["key"], "seen")')}
    package = write_package(tmp_path, "relay", files)
    apply_phase(tmp_path, "contract", package, files, {})
