"""A status tested through a validating helper of the project.

fixtures/python/validators is a small dashboard: `panel/checks.py` defines
helpers that test their first argument's membership in their second
(`one_of`, `require`, `is_any`) and one that tests nothing (`log`);
`panel/gateway.py` calls them, and a helper of its own (`pick`), with the
status of `sessions.list` rows, with collections written in the call or
named by constants (its own, and two of `panel/states.py`); `panel/jobs.py`
calls `one_of` with an export job's state (and one of those constants), and
`panel/legacy.py` a form library's own `one_of`.
fixtures/python/expected/<phase>/panel holds the reviewed after-files.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, run_cli, snapshot

TREE = FIXTURES / "python" / "validators"
EXPECTED = FIXTURES / "python" / "expected"
OLD_TO_NEW = {"done": "agent_responded", "failed": "interrupted", "timeout": "waiting_for_response", "killed": "halted"}


def _copy(tmp_path: Path, name: str = "tree") -> Path:
    root = tmp_path / name
    shutil.copytree(TREE, root, ignore=shutil.ignore_patterns(".migrator", "__pycache__"))
    return root


def _migrate(tmp_path: Path, phase: str) -> Path:
    root = _copy(tmp_path, phase)
    done = run_cli("apply", "--write", "--phase", phase, ".", cwd=root)
    assert done.returncode == 0, done.stderr
    return root


def _expected(phase: str) -> dict[str, bytes]:
    want = snapshot(TREE)
    for name in ("gateway.py", "states.py"):
        want[f"panel/{name}"] = (EXPECTED / phase / "panel" / name).read_bytes()
    return want


@pytest.mark.parametrize("phase", ["expand", "contract"])
def test_apply_gives_the_reviewed_files(tmp_path: Path, phase: str) -> None:
    root = _migrate(tmp_path, phase)
    assert snapshot(root) == _expected(phase)


def test_contract_after_expand_is_contract(tmp_path: Path) -> None:
    root = _migrate(tmp_path, "expand")
    assert run_cli("apply", "--write", "--phase", "contract", ".", cwd=root).returncode == 0
    assert snapshot(root) == _expected("contract")


def _findings(root: Path, *paths: str) -> list[dict[str, Any]]:
    done = run_cli("scan", "--format", "json", *paths, cwd=root)
    assert done.returncode == 1, done.stderr
    return json.loads(done.stdout)["findings"]  # type: ignore[no-any-return]


def test_each_helper_call_is_a_membership_test_of_the_session_status(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    findings = _findings(root, ".")
    seen = sorted({(f["path"], f["line"], f["rule"], f["confidence"], f["action"]) for f in findings})
    assert seen == [
        ("panel/gateway.py", 13, "status-set-call", "certain", "rewrite"),  # ENDED, used only through one_of
        ("panel/gateway.py", 31, "status-validator", "certain", "rewrite"),  # one_of, imported
        ("panel/gateway.py", 33, "status-validator", "certain", "rewrite"),  # pick, of the module
        ("panel/gateway.py", 34, "status-validator", "certain", "rewrite"),  # checks.is_any
        ("panel/gateway.py", 46, "status-validator", "certain", "rewrite"),  # require(allowed=..., value=...)
        ("panel/states.py", 4, "status-constant", "certain", "rewrite"),  # RUN_ENDED, through one_of elsewhere
        ("panel/states.py", 6, "status-set-call", "certain", "rewrite"),  # FINISHED, shared with the jobs
    ]
    why = {(f["path"], f["line"]): f["why"] for f in findings}
    assert why[("panel/gateway.py", 34)].startswith(
        '`is_any()` tests `row["status"]`, where `row` iterates what `rows_of()`')
    assert why[("panel/gateway.py", 34)].endswith("a `sessions.list` result")
    assert why[("panel/gateway.py", 46)] == (
        '`require()` tests `row["status"]`, where `row`, the `sessions` of `reply`, a `sessions.list` result')
    assert "in panel/jobs.py: `job[\"state\"]` (line 17) is not a session status" in why[("panel/states.py", 6)]
    # Words of another vocabulary in the collection stay, and are no finding.
    assert sorted(f["old"] for f in findings if f["line"] == 31) == ["done", "failed", "killed", "timeout"]
    # In contract, the constant shared with the export jobs waits for a person to split it.
    contract = _findings(root, "--phase", "contract", ".")
    assert sorted((f["line"], f["action"]) for f in contract if f["path"] == "panel/states.py") == [
        (4, "rewrite"), (4, "rewrite"), (6, "review"), (6, "review")]


def test_a_run_on_the_calling_file_alone_knows_the_imported_helpers(tmp_path: Path) -> None:
    """As the pre-commit hook runs: only the staged file is given; the
    helpers' module is read for its facts, and reported on nowhere."""
    root = _copy(tmp_path)
    alone = _findings(root, "panel/gateway.py")
    assert alone == [f for f in _findings(root, ".") if f["path"] == "panel/gateway.py"]


def test_a_helper_that_stops_validating_is_seen_on_a_warm_run(tmp_path: Path) -> None:
    """The cached answers of an unchanged caller depend on the helpers it
    imports: once `one_of` tests nothing, its calls are no status tests."""
    root = _copy(tmp_path)
    assert {(f["path"], f["line"]) for f in _findings(root, ".")} >= {("panel/gateway.py", 31), ("panel/states.py", 4)}
    checks = root / "panel" / "checks.py"
    checks.write_text(checks.read_text("utf-8").replace("value in allowed else None", "value else None"), "utf-8")
    left = {(f["path"], f["line"]) for f in _findings(root, ".")}
    assert ("panel/gateway.py", 31) not in left and ("panel/states.py", 4) not in left
    assert ("panel/gateway.py", 34) in left  # `is_any` still tests membership


# Run in the migrated tree's own interpreter: imports the package as a user
# would, calls it with every name, and prints what it returned.
PROBE = """
import asyncio, json, sys
from panel import gateway, jobs

statuses = json.loads(sys.argv[1])


def rpc_of(names):
    async def rpc(method, params):
        assert method == "sessions.list"
        rows = [{"key": f"agent:main:{i}", "status": s} for i, s in enumerate(names)]
        return {"sessions": rows[: params["limit"]]}
    return rpc


def stopped(status):
    try:
        return asyncio.run(gateway.stopped(rpc_of([status]), "k"))
    except ValueError:
        return "ValueError"


print(json.dumps({
    "views": asyncio.run(gateway.session_view(rpc_of(statuses))),
    "stopped": [stopped(s) for s in statuses],
    "jobs": [jobs.job_state({"state": s}) for s in ("done", "failed", "queued", "agent_responded")],
    "finished": [jobs.finished({"state": s}) for s in ("done", "failed", "queued")],
}))
"""


@pytest.mark.parametrize("phase", ["before", "expand", "contract"])
def test_the_migrated_package_reads_old_and_new_names(tmp_path: Path, phase: str) -> None:
    root = _copy(tmp_path) if phase == "before" else _migrate(tmp_path, phase)
    # The names each phase's readers accept.
    old, new = set(OLD_TO_NEW), set(OLD_TO_NEW.values())
    accepted = {"before": old, "expand": old | new, "contract": new}[phase]
    statuses = [*OLD_TO_NEW, *OLD_TO_NEW.values(), "running", "paused"]
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(statuses)], cwd=root, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    tone = {"done", "timeout", "agent_responded", "waiting_for_response"} & accepted
    retry = {"failed", "killed", "interrupted", "halted"} & accepted
    stopped = {"killed", "timeout", "halted", "waiting_for_response"} & accepted
    shared = old if phase == "contract" else set()
    assert got["views"] == [
        {
            "status": status if status in accepted or status == "running" else None,
            "ended": status in accepted,
            "tone": status if status in tone else "other",
            "retry": status in retry,
            "note": f"{status} ['done']",  # `log` validates nothing: unchanged
            "over": status in {"done", "failed", "agent_responded", "interrupted"} & accepted,
            # The shared constant accepts both names from expand on (contract leaves it for a person).
            "final": status in {"done", "failed", "agent_responded", "interrupted"} & (accepted | shared),
        }
        for status in statuses
    ]
    assert got["stopped"] == [s if s in stopped else "ValueError" for s in statuses]
    # The export jobs keep their own words in every phase.
    assert got["jobs"] == ["done", "failed", "queued", None]
    assert got["finished"] == [True, True, False]


@pytest.mark.parametrize(
    ("code", "found"),
    [
        ("def one_of(value, allowed):\n    return value if value in allowed else None\n", {"one_of": (("value", "allowed"), (("value", "allowed"),))}),
        ("def need(v, *, among):\n    if str(v).lower() not in among:\n        raise ValueError(v)\n", {"need": (("v",), (("v", "among"),))}),
        ("async def ok(a, b, /):\n    return a in b\n", {"ok": (("a", "b"), (("a", "b"),))}),
        ("def fixed(v, a):\n    return v in ('done', 'failed')\n", {}),  # a literal, not a parameter
        ("def own(self, v):\n    return v in self.allowed\n", {}),
        ("def log(v, extra):\n    print(v, extra)\n", {}),
        ("class C:\n    def one_of(self, v, a):\n        return v in a\n", {}),  # a method: not called by name
    ],
)
def test_which_functions_validate(code: str, found: dict[str, object]) -> None:
    import ast

    from codemods.sites import validating_helpers

    assert validating_helpers(ast.parse(code)) == found


@pytest.mark.parametrize(
    ("code", "site"),
    [
        ('def one_of(v, a):\n    return v in a\n\n\nx = one_of(row["status"], {"done", "queued"})\n', True),
        ('def log(v, a):\n    print(v, a)\n\n\nlog(row["status"], {"done"})\n', False),  # tests nothing
        ('from lib import one_of\n\nx = one_of(row["status"], ("done", "failed"))\n', True),  # may be the tree's
        ('from lib import one_of\n\nx = one_of(job["state"], {"done"})\n', False),  # no status read
        ('from lib import check\n\nENDED = ["done"]\ncheck(value=row.get("status"), allowed=ENDED)\n', True),
        ('from lib import check\n\ncheck({"done"}, row["status"])\n', False),  # the collection comes first
    ],
)
def test_the_pre_check_finds_helper_calls(code: str, site: bool) -> None:
    import re

    from codemods.sites import Sites
    from migrator.manifest import load_manifest

    sites = Sites(load_manifest(), re.compile(rb"[\"'](?:done|failed|timeout|killed)[\"']"))
    assert sites.found(code.encode(), False) is site
