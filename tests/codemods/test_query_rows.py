"""Each column of a row unpacked in a loop comes from where the rows come
from: `for key, raw in con.execute("SELECT ... FROM session_nodes")`, then
`json.loads(raw)`, reads a session's entry. The same loop over the rows
of a cron job table, which binds the same name, is another vocabulary's."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

STALLED = '''import json
import sqlite3


def stalled(db):
    con = sqlite3.connect(db)
    out = []
    for key, raw in con.execute("SELECT session_key, entry_json FROM session_nodes"):
        if json.loads(raw or "{}").get("status") == "timeout":
            out.append(key)
    for name, raw in con.execute("SELECT name, payload FROM cron_jobs"):
        if json.loads(raw).get("status") == "timeout":
            out.append(name)
    return out
'''


def test_the_columns_of_a_query_keep_its_source(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\n", "utf-8")
    (tmp_path / "stalled.py").write_text(STALLED, "utf-8")
    scan = run_cli("scan", ".", "--show-why", "--min-confidence", "possible", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout == (
        "stalled.py:9:53: status-compare [certain, rewrite] 'timeout' -> 'waiting_for_response': compared with "
        '`json.loads(raw or "{}").get("status")`, where decoded from `raw` iterates a query of `session_nodes`\n'
        "1 file scanned, 1 finding: 1 to rewrite, 0 to review (expand phase)\n"
    )
    done = run_cli("apply", ".", "--write", "--phase", "contract", "--allow-dirty", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    after = (tmp_path / "stalled.py").read_text("utf-8")
    assert after == STALLED.replace('.get("status") == "timeout":\n            out.append(key)',
                                    '.get("status") == "waiting_for_response":\n            out.append(key)')
    db = tmp_path / "state.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE session_nodes (session_key TEXT, entry_json TEXT)")
    con.execute("CREATE TABLE cron_jobs (name TEXT, payload TEXT)")
    con.execute("INSERT INTO session_nodes VALUES ('agent:main:a', ?)", (json.dumps({"status": "waiting_for_response"}),))
    con.execute("INSERT INTO session_nodes VALUES ('agent:main:b', ?)", (json.dumps({"status": "running"}),))
    con.execute("INSERT INTO cron_jobs VALUES ('nightly', ?)", (json.dumps({"status": "timeout"}),))
    con.commit()
    con.close()
    ran = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import stalled; "
                          "print(stalled.stalled(sys.argv[2]))", str(tmp_path), str(db)],
                         capture_output=True, text=True, check=True)
    assert ran.stdout == "['agent:main:a', 'nightly']\n"
