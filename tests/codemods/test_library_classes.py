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
