"""Readers the provenance reaches through helpers, type aliases, imported
single-name constants, call sites in other modules and unions of constants
(made in the testing module or in a third one).

fixtures/python/relay is a small package written as an OpenClaw user writes
one; fixtures/python/expected/<phase>/relay holds its reviewed after-files.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_cli, snapshot

RELAY = FIXTURES / "python" / "relay"


def _copy(tmp_path: Path, name: str = "relay") -> Path:
    root = tmp_path / name
    shutil.copytree(RELAY, root, ignore=shutil.ignore_patterns(".migrator", "__pycache__"))
    return root


def _expected(phase: str) -> dict[str, bytes]:
    want = snapshot(RELAY)
    for path in (FIXTURES / "python" / "expected" / phase / "relay").rglob("*.py"):
        want[f"relay/{path.name}"] = path.read_bytes()
    return want


def _scan(root: Path, *args: str) -> list[dict[str, object]]:
    done = run_cli("scan", "--format", "json", *args, ".", cwd=root)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)["findings"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("phase", ["expand", "contract"])
def test_apply_gives_the_reviewed_files(tmp_path: Path, phase: str) -> None:
    root = _copy(tmp_path)
    done = run_cli("apply", "--write", "--phase", phase, ".", cwd=root)
    assert done.returncode == 0, done.stderr
    assert snapshot(root) == _expected(phase)


def test_contract_after_expand_is_contract(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    assert run_cli("apply", "--write", "--phase", "expand", ".", cwd=root).returncode == 0
    assert run_cli("apply", "--write", "--phase", "contract", ".", cwd=root).returncode == 0
    # The constants shared with the task queue accept both names either way
    # (left for a person to split): contract after expand is contract.
    assert snapshot(root) == _expected("contract")


def _at(findings: list[dict[str, object]], path: str, line: int) -> list[dict[str, object]]:
    return [f for f in findings if f["path"] == path and f["line"] == line]


def test_command_line_built_in_a_helper_is_read_per_call_site(tmp_path: Path) -> None:
    findings = _scan(_copy(tmp_path))
    found = _at(findings, "relay/cli.py", 21)
    assert [(f["old"], f["confidence"], f["action"]) for f in found] == [
        ("done", "certain", "rewrite"), ("failed", "certain", "rewrite"),
    ]
    assert "what `_run()` (line 10) returns" in str(found[0]["why"])
    assert "the output of `openclaw sessions`" in str(found[0]["why"])
    # The same helper running `openclaw subagents` reads another vocabulary.
    assert not [f for f in findings if f["path"] == "relay/cli.py" and f["line"] != 21]


def test_literal_reached_through_a_type_alias(tmp_path: Path) -> None:
    findings = _scan(_copy(tmp_path))
    found = _at(findings, "relay/rows.py", 8)
    assert [(f["old"], f["rule"], f["confidence"]) for f in found] == [
        ("done", "status-literal-type", "certain"), ("killed", "status-literal-type", "certain"),
    ]
    why = str(found[0]["why"])
    assert "`State`" in why and "`Row.status`" in why and "relay/watch.py" in why
    # TaskState types Task.status, built from the task queue's rows.
    assert not _at(findings, "relay/rows.py", 9)


def test_literal_alias_imported_from_another_module(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    # relay/types_.py defines Status; relay/entries.py types Entry.status with
    # it; relay/listing.py builds Entry from `sessions_list` rows.
    for phase in ("expand", "contract"):
        found = [f for f in _scan(root, "--phase", phase) if f["path"] == "relay/types_.py"]
        assert [(f["line"], f["old"], f["rule"], f["confidence"], f["action"]) for f in found] == [
            (5, "done", "status-literal-type", "certain", "rewrite"),
            (5, "failed", "status-literal-type", "certain", "rewrite"),
        ]
        assert found[0]["why"] == (
            "in relay/entries.py: `Literal` `Status`, the type of `Entry.status`, where `Entry` is a `Entry` built "
            "in relay/listing.py:12 from `s[\"status\"]`, where `s` iterates the `sessions` of the `details` of a "
            "`sessions_list` result"
        )
    # Nothing at line 6: QueueStatus types Job.status, built from the queue file.


def _status_args(root: Path) -> object:
    """The values `relay.types_.Status` admits, imported from ``root`` in a fresh interpreter."""
    import subprocess
    import sys

    code = "import typing\nfrom relay import types_\nprint(list(typing.get_args(types_.Status)))\n"
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_migrated_imported_alias_admits_the_phase_names(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    assert _status_args(root) == "['running', 'done', 'failed']"
    assert run_cli("apply", "--write", "--phase", "expand", ".", cwd=root).returncode == 0
    assert _status_args(root) == "['running', 'done', 'agent_responded', 'failed', 'interrupted']"
    assert run_cli("apply", "--write", "--phase", "contract", ".", cwd=root).returncode == 0
    assert _status_args(root) == "['running', 'agent_responded', 'interrupted']"


def test_imported_single_name_constant_follows_the_writers(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    done = run_cli("scan", "--format", "json", ".", cwd=root)
    report = json.loads(done.stdout)
    # Expand keeps it, as it keeps a writer: noted as contract pending, no finding.
    assert not _at(report["findings"], "relay/states.py", 3)
    assert "relay/states.py:3:15: status-constant: `done` kept in expand (a written or single value), " \
        "`agent_responded` in contract: contract pending" in report["notes"]
    contract = _at(_scan(root, "--phase", "contract"), "relay/states.py", 3)
    assert [(f["old"], f["new"], f["action"]) for f in contract] == [("done", "agent_responded", "rewrite")]
    # QUEUE_DONE is only ever compared with the queue's own states.
    assert not _at(_scan(root, "--phase", "contract"), "relay/states.py", 4)


def test_parameter_joined_over_call_sites_in_other_modules(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    for phase in ("expand", "contract"):
        findings = _scan(root, "--phase", phase)
        dead = _at(findings, "relay/checks.py", 9)
        assert [(f["old"], f["confidence"], f["action"]) for f in dead] == [
            ("failed", "certain", "rewrite"), ("killed", "certain", "rewrite"),
        ]
        assert "`row` of `is_dead()` is passed, at relay/watch.py:27, `r`" in str(dead[0]["why"])
        # is_over() is also passed the task queue's rows: left for review, in both phases.
        over = _at(findings, "relay/checks.py", 13)
        assert [(f["old"], f["confidence"], f["action"]) for f in over] == [
            ("done", "possible", "review"), ("timeout", "possible", "review"),
        ]
        why = str(over[0]["why"])
        assert "relay/watch.py:31" in why and "relay/jobs.py:18, `t`" in why


def _import_relay(root: Path) -> object:
    """The migrated package, imported from ``root`` in a fresh interpreter."""
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "from relay import checks\n"
        "rows = json.loads(sys.argv[1])\n"
        "print(json.dumps([[checks.is_dead(r), checks.is_over(r)] for r in rows]))\n"
    )
    rows = [{"status": s} for s in ("failed", "interrupted", "killed", "halted", "running", "done", "timeout")]
    done = subprocess.run([sys.executable, "-c", code, json.dumps(rows)], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_migrated_checks_behave(tmp_path: Path) -> None:
    original = _import_relay(RELAY)
    root = _copy(tmp_path)
    assert run_cli("apply", "--write", "--phase", "expand", ".", cwd=root).returncode == 0
    expanded = _import_relay(root)
    # Expand: is_dead accepts old and new names; is_over (held for review) is untouched.
    assert expanded == [[True, False], [True, False], [True, False], [True, False], [False, False],
                        [False, True], [False, True]]
    assert [r[1] for r in expanded] == [r[1] for r in original]
    assert run_cli("apply", "--write", "--phase", "contract", ".", cwd=root).returncode == 0
    contracted = _import_relay(root)
    assert [r[0] for r in contracted] == [False, True, False, True, False, False, False]


def test_unions_of_constants_across_modules(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    expand = _scan(root)
    # ENDED = DONE_STATES | FAIL_STATES in relay/watch.py, of constants imported from relay/states.py.
    assert [(f["line"], f["old"], f["action"]) for f in expand if f["path"] == "relay/states.py" and f["line"] in (6, 7)] == [
        (6, "done", "rewrite"), (7, "failed", "rewrite"), (7, "killed", "rewrite"),
    ]
    why = str(_at(expand, "relay/states.py", 6)[0]["why"])
    assert "relay/watch.py" in why and "through `ENDED`" in why
    # ANY_END = CLOSED + EXPIRED is also tested by the queue: expanded, then held.
    assert [f["action"] for f in expand if f["path"] == "relay/states.py" and f["line"] in (10, 11)] == ["rewrite"] * 3
    contract = _scan(root, "--phase", "contract")
    held = [f for f in contract if f["path"] == "relay/states.py" and f["line"] in (10, 11)]
    assert [f["action"] for f in held] == ["review"] * 3
    assert "relay/jobs.py: `t[\"state\"]` (line 22) is not a session status" in str(held[0]["why"])
    assert "through `ANY_END`" in str(held[0]["why"])


def test_union_made_in_a_third_module(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    # relay/codes.py defines the sets, relay/groups.py unites them, relay/feed.py
    # tests `sessions_list` rows with the unions: every set is expanded.
    expand = [f for f in _scan(root) if f["path"] == "relay/codes.py"]
    assert [(f["line"], f["old"], f["confidence"], f["action"]) for f in expand] == [
        (3, "done", "certain", "rewrite"), (4, "failed", "certain", "rewrite"), (6, "timeout", "certain", "rewrite"),
        (7, "killed", "certain", "rewrite"), (9, "done", "certain", "rewrite"), (10, "failed", "certain", "rewrite"),
    ]
    assert str(expand[0]["why"]).startswith(
        "constant `GOOD` is used in a status test in another module: through `ALL` of relay/groups.py: "
        "in relay/feed.py: compared with `row[\"status\"]`, where `row` iterates what `rows()` (line 10) returns"
    )
    # Contract: a set only sessions use is renamed; one the queue tests too
    # (LATE itself, SETTLED_* through the union SETTLED) waits for a person.
    contract = {f["line"]: f for f in _scan(root, "--phase", "contract") if f["path"] == "relay/codes.py"}
    assert {line: f["action"] for line, f in contract.items()} == {
        3: "rewrite", 4: "rewrite", 6: "review", 7: "rewrite", 9: "review", 10: "review",
    }
    assert "shared with other code (in relay/tasks.py: `t[\"state\"]` (line 12) is not a session status)" in str(
        contract[6]["why"])
    assert "(in relay/tasks.py: `t[\"state\"]` (line 16) is not a session status (through `SETTLED` of " \
        "relay/groups.py))" in str(contract[9]["why"])


def _call_feed(root: Path) -> object:
    """relay.feed over rows of old and new names, imported from ``root`` in a fresh interpreter."""
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "from relay import feed\n"
        "class Client:\n"
        "    def invoke(self, tool, args):\n"
        "        return {'details': {'sessions': json.loads(sys.argv[1])}}\n"
        "print(json.dumps([feed.finished(Client()), feed.stopped(Client()), feed.settled(Client())]))\n"
    )
    names = ("done", "agent_responded", "failed", "interrupted", "timeout", "waiting_for_response", "killed", "halted")
    rows = [{"key": s, "status": s} for s in names]
    done = subprocess.run([sys.executable, "-c", code, json.dumps(rows)], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_migrated_unions_of_a_third_module_behave(tmp_path: Path) -> None:
    assert _call_feed(RELAY) == [["done", "failed"], ["timeout", "killed"], ["done", "failed"]]
    root = _copy(tmp_path)
    assert run_cli("apply", "--write", "--phase", "expand", ".", cwd=root).returncode == 0
    assert _call_feed(root) == [["done", "agent_responded", "failed", "interrupted"],
                                ["timeout", "waiting_for_response", "killed", "halted"],
                                ["done", "agent_responded", "failed", "interrupted"]]
    assert run_cli("apply", "--write", "--phase", "contract", ".", cwd=root).returncode == 0
    # LATE and SETTLED's sets are shared with the queue: they keep both names.
    assert _call_feed(root) == [["agent_responded", "interrupted"], ["timeout", "waiting_for_response", "halted"],
                                ["done", "agent_responded", "failed", "interrupted"]]


def test_union_forms_in_one_module() -> None:
    from codemods.session_status import StatusRewriter
    from migrator.manifest import load_manifest

    source = (
        'A = ("done",)\nB = ["failed"]\nC = {"killed"}\nD = frozenset({"timeout"})\n'
        "PLUS = A + tuple(B)\nSTAR = {*C, *D}\nWRAPPED = frozenset(C | D)\n\n"
        'def ended(client):\n    rows = client.call("sessions.list")["sessions"]\n'
        '    return [r for r in rows if r["status"] in PLUS or r["status"] in STAR or r["status"] in WRAPPED]\n'
    )
    result = StatusRewriter(load_manifest(), "contract").rewrite(source.encode())
    assert result.code.decode().splitlines()[:4] == [
        'A = ("agent_responded",)', 'B = ["interrupted"]', 'C = {"halted"}', 'D = frozenset({"waiting_for_response"})',
    ]
    assert {(f.line, f.rewrite) for f in result.findings} == {(1, True), (2, True), (3, True), (4, True)}
    # The same constants used by a job queue too: held in contract.
    shared = source + '\ndef over(job):\n    return job["state"] in STAR\n'
    held = StatusRewriter(load_manifest(), "contract").rewrite(shared.encode())
    assert {f.line: f.rewrite for f in held.findings} == {1: True, 2: True, 3: False, 4: False}


def test_an_expanded_tree_scans_clean_in_expand_and_not_in_contract(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "[tool.migrator]\n",
        "app/__init__.py": "",
        "app/consts.py": 'FINISHED = ("done", "failed")\nFINISHED_OK = "done"\n',
        "app/poll.py": (
            "from app.consts import FINISHED, FINISHED_OK\n\n\n"
            "def ended(client):\n"
            '    return [r for r in client.call("sessions.list")["sessions"] if r["status"] in FINISHED]\n\n\n'
            "def ok(client):\n"
            '    return [r for r in client.call("sessions.list")["sessions"] if r["status"] == FINISHED_OK]\n\n\n'
            "def stop(client):\n"
            '    for r in client.call("sessions.list")["sessions"]:\n'
            '        r["status"] = "killed"\n'
        ),
        "app/queue.py": (
            "from app.consts import FINISHED, FINISHED_OK\n\n\n"
            "def over(job):\n"
            '    return job["state"] in FINISHED or job["state"] == FINISHED_OK\n'
        ),
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert run_cli("scan", ".", cwd=tmp_path).returncode == 1  # FINISHED is to expand
    assert run_cli("apply", "--write", "--phase", "expand", ".", cwd=tmp_path).returncode == 0
    assert (tmp_path / "app/consts.py").read_text().startswith('FINISHED = ("done", "agent_responded", "failed", "interrupted")\n')
    expand = run_cli("scan", "--format", "json", ".", cwd=tmp_path)
    assert expand.returncode == 0, expand.stdout
    report = json.loads(expand.stdout)
    assert report["findings"] == []
    assert sorted(n.split(": ", 2)[0] for n in report["notes"] if n.endswith("contract pending")) == [
        "app/consts.py:1:13", "app/consts.py:1:40", "app/consts.py:2:15", "app/poll.py:14:23",
    ]
    # In contract the shared constants wait for a person, the writer is due.
    contract = run_cli("scan", "--format", "json", "--phase", "contract", ".", cwd=tmp_path)
    assert contract.returncode == 1
    found = {(f["path"], f["line"], f["old"]): f["action"] for f in json.loads(contract.stdout)["findings"]}
    assert found == {
        ("app/consts.py", 1, "done"): "review", ("app/consts.py", 1, "failed"): "review",
        ("app/consts.py", 2, "done"): "review", ("app/poll.py", 14, "killed"): "rewrite",
    }


def test_a_run_on_the_defining_files_uses_the_project_facts(tmp_path: Path) -> None:
    # As the pre-commit hook runs: only the staged files, the facts of the whole project.
    root = _copy(tmp_path)
    files = ("relay/codes.py", "relay/types_.py")
    whole = [f for f in _scan(root, "--phase", "contract") if f["path"] in files]
    alone = run_cli("scan", "--format", "json", "--phase", "contract", *files, cwd=root)
    assert alone.returncode == 1, alone.stderr
    assert json.loads(alone.stdout)["findings"] == whole
    assert len(whole) == 8
