"""A class of a library is no record class of the tree. A script that builds
a DataFrame from `sessions.json` and another from subagent runs
(`subagents/runs.json`) used to export `pandas.DataFrame` as "built from
session entries", so every DataFrame in it was a session row and the runs'
`timeout` outcome was renamed. Only the tree's own classes are exported."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli

SCRIPT = '''import json
from pathlib import Path

import pandas as pd

STATE = Path("state")
store = json.loads((STATE / "agents" / "main" / "sessions" / "sessions.json").read_text())
df = pd.DataFrame.from_dict(store, orient="index")

runs = json.loads((STATE / "subagents" / "runs.json").read_text())["runs"]
rdf = pd.DataFrame([{"runId": k, **v.get("outcome", {})} for k, v in runs.items()])
late = rdf[rdf["status"] == "timeout"]
'''


def test_a_library_class_built_from_session_entries_is_not_a_session_row(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "triage"\n', "utf-8")
    (tmp_path / "triage.py").write_text(SCRIPT, "utf-8")
    scan = run_cli("scan", ".", "--show-why", cwd=tmp_path)
    assert scan.stderr == ""
    assert "certain" not in scan.stdout and "DataFrame" not in scan.stdout, scan.stdout
    for phase in ("expand", "contract"):
        done = run_cli("apply", ".", "--write", "--phase", phase, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "triage.py").read_text("utf-8") == SCRIPT


NOTEBOOK = '''import json
from pathlib import Path

import pandas as pd

store = json.loads((Path("state") / "agents" / "main" / "sessions" / "sessions.json").read_text())
df = pd.DataFrame.from_dict(store, orient="index").rename_axis("key").reset_index()
bad = df[df["status"].isin(["failed", "timeout"])]
stopped = df[df.status == "killed"]
runs = json.loads((Path("state") / "subagents" / "runs.json").read_text())["runs"]
rdf = pd.DataFrame([{"runId": k, **v.get("outcome", {})} for k, v in runs.items()])
late = rdf[rdf["status"].isin(["timeout"])]
'''


def test_a_table_of_session_entries_its_isin_and_its_column_compares(tmp_path: Path) -> None:
    """`df["status"].isin([...])` is a membership test of a column; a column's
    `==` compares element by element, so expand cannot turn it into `in`
    (that would test the table's index): it writes the column's `.isin`,
    contract renames it. The table of subagent runs is another vocabulary's."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "triage"\n', "utf-8")
    target = tmp_path / "triage.py"
    target.write_text(NOTEBOOK, "utf-8")
    scan = run_cli("scan", ".", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "triage.py:8:29: status-membership [certain, rewrite] 'failed' -> 'interrupted'",
        "triage.py:8:39: status-membership [certain, rewrite] 'timeout' -> 'waiting_for_response'",
        "triage.py:9:27: status-column-compare [certain, rewrite] 'killed' -> 'halted'",
        # The runs' table copies each run's `outcome` (`**v.get("outcome", {})`):
        # another vocabulary's, not even listed.
        "1 file scanned, 3 findings: 3 to rewrite, 0 to review (expand phase)",
    ]
    done = run_cli("apply", ".", "--write", "--phase", "expand", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert target.read_text("utf-8") == NOTEBOOK.replace(
        '["failed", "timeout"]', '["failed", "interrupted", "timeout", "waiting_for_response"]') \
        .replace('df.status == "killed"', 'df.status.isin(("killed", "halted"))')
    target.write_text(NOTEBOOK, "utf-8")
    done = run_cli("apply", ".", "--write", "--phase", "contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert target.read_text("utf-8") == NOTEBOOK.replace('["failed", "timeout"]', '["interrupted", "waiting_for_response"]') \
        .replace('df.status == "killed"', 'df.status == "halted"')


ROWS = '''from dataclasses import dataclass


@dataclass
class SessionRow:
    key: str
    status: str

    @property
    def dead(self):
        return self.status in {"failed", "killed"}
'''

MAIN = '''from fleet.rows import SessionRow


def dead_keys(client):
    rows = [SessionRow(r["key"], r["status"]) for r in client.invoke("sessions_list", {})["details"]["sessions"]]
    return [r.key for r in rows if r.dead]
'''


def test_a_tree_scanned_from_above_its_import_root_keeps_its_own_classes(tmp_path: Path) -> None:
    """`from fleet.rows import SessionRow` in `apps/fleet/main.py`, scanned
    from above `apps/` (no pyproject.toml to say where imports start): the
    class is still the tree's own, and built from session rows."""
    package = tmp_path / "apps" / "fleet"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", "utf-8")
    (package / "rows.py").write_text(ROWS, "utf-8")
    (package / "main.py").write_text(MAIN, "utf-8")
    scan = run_cli("scan", "apps", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert scan.stdout.splitlines() == [
        "apps/fleet/rows.py:11:32: status-membership [certain, rewrite] 'failed' -> 'interrupted'",
        "apps/fleet/rows.py:11:42: status-membership [certain, rewrite] 'killed' -> 'halted'",
        "3 files scanned, 2 findings: 2 to rewrite, 0 to review (expand phase)",
    ]
