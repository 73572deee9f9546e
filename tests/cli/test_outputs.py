"""CI formats: exact SARIF and GitHub annotations for a small run, the SARIF
log valid against the official 2.1.0 schema, and the CLI's `--format`/`-o`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conftest import run_cli
from migrator import load_options
from migrator.findings import FileResult, Finding
from migrator.pipeline import Run
from migrator.report import render_github, render_sarif
from migrator.sarif import hunks

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "sarif-2.1.0.json").read_text("utf-8"))

BEFORE = b'rows = client.invoke("sessions_list", {})\nfor row in rows["sessions"]:\n    if row["status"] == "done":\n        pass\n'
AFTER = (
    b'rows = client.invoke("sessions_list", {})\nfor row in rows["sessions"]:\n'
    b'    if row["status"] in ("done", "agent_responded"):\n        pass\n'
)
WHY = "compared with `row[\"status\"]`, where `row` iterates a `sessions_list` result"


def _run(tmp_path: Path) -> Run:
    """A run over one rewritten file and one review finding, built by hand so
    the expected outputs depend on the renderers alone."""
    options = load_options([str(tmp_path)], cwd=tmp_path)
    rewrite = Finding("app/poll.py", 3, 25, "python", "done", "agent_responded", "certain", "rewrite", "status-compare", WHY)
    review = Finding("app/jobs.py", 1, 18, "python", "failed", "interrupted", "possible", "review", "status-writer",
                     "a dict literal with a status key")
    return Run(
        options,
        results=[
            FileResult(tmp_path / "app/jobs.py", "app/jobs.py", "python", [review], original=b'job = {"status": "failed"}\n'),
            FileResult(tmp_path / "app/poll.py", "app/poll.py", "python", [rewrite], original=BEFORE, updated=AFTER),
        ],
        files_seen=2,
        files_parsed=2,
    )


def _without_version(document: dict) -> dict:
    document["runs"][0]["tool"]["driver"].pop("version", None)
    return document


def test_sarif_exact(tmp_path: Path) -> None:
    document = _without_version(json.loads(render_sarif(_run(tmp_path))))
    run = document["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == ["status-compare", "status-writer"]
    assert run["tool"]["driver"]["rules"][0]["help"]["text"].startswith("status-compare: ")
    for rule in run["tool"]["driver"]["rules"]:
        rule.pop("help"), rule.pop("fullDescription"), rule.pop("shortDescription")
    where_poll = {"uri": "app/poll.py", "uriBaseId": "%SRCROOT%"}
    assert document == {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "migrator",
                        "rules": [
                            {"id": "status-compare", "defaultConfiguration": {"level": "warning"}},
                            {"id": "status-writer", "defaultConfiguration": {"level": "warning"}},
                        ],
                    }
                },
                "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": []}],
                "columnKind": "unicodeCodePoints",
                "results": [
                    {
                        "ruleId": "status-writer",
                        "ruleIndex": 1,
                        "level": "note",
                        "message": {"text": "'failed' -> 'interrupted' [possible, review]: a dict literal with a status key"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": "app/jobs.py", "uriBaseId": "%SRCROOT%"},
                                    "region": {"startLine": 1, "startColumn": 18, "endLine": 1, "endColumn": 26},
                                }
                            }
                        ],
                        "properties": {"old": "failed", "new": "interrupted", "confidence": "possible",
                                       "action": "review", "kind": "python"},
                    },
                    {
                        "ruleId": "status-compare",
                        "ruleIndex": 0,
                        "level": "warning",
                        "message": {"text": f"'done' -> 'agent_responded' [certain, rewrite]: {WHY}"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": where_poll,
                                    "region": {"startLine": 3, "startColumn": 25, "endLine": 3, "endColumn": 31},
                                }
                            }
                        ],
                        "properties": {"old": "done", "new": "agent_responded", "confidence": "certain",
                                       "action": "rewrite", "kind": "python"},
                        "fixes": [
                            {
                                "description": {"text": "Apply the status-compare rewrite (done -> agent_responded)"},
                                "artifactChanges": [
                                    {
                                        "artifactLocation": where_poll,
                                        "replacements": [
                                            {
                                                "deletedRegion": {"startLine": 3, "startColumn": 22,
                                                                  "endLine": 3, "endColumn": 24},
                                                "insertedContent": {"text": "in"},
                                            },
                                            {
                                                "deletedRegion": {"startLine": 3, "startColumn": 25,
                                                                  "endLine": 3, "endColumn": 25},
                                                "insertedContent": {"text": "("},
                                            },
                                            {
                                                "deletedRegion": {"startLine": 3, "startColumn": 31,
                                                                  "endLine": 3, "endColumn": 31},
                                                "insertedContent": {"text": ', "agent_responded")'},
                                            },
                                        ],
                                    }
                                ],
                            }
                        ],
                    },
                ],
            }
        ],
    }


def _apply(original: bytes, replacements: list[dict]) -> bytes:
    """Apply SARIF replacements the way a consumer would, last first."""
    lines = original.decode().splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    text = original.decode()

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    for r in sorted(replacements, key=lambda r: (r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"]),
                    reverse=True):
        region = r["deletedRegion"]
        a = offset(region["startLine"], region["startColumn"])
        b = offset(region["endLine"], region["endColumn"])
        text = text[:a] + r["insertedContent"]["text"] + text[b:]
    return text.encode()


@pytest.mark.parametrize(
    "before,after",
    [
        (BEFORE, AFTER),
        (b'T = ("done", "failed")\n', b'T = ("done", "agent_responded", "failed", "interrupted")\n'),
        (b"a = 1\nif s != 'killed':\n    b = 2\n", b"a = 1\nif s not in ('killed', 'halted'):\n    b = 2\n"),
        (b'x = "d\xc3\xa9j\xc3\xa0"\nok = s == "done"\n', b'x = "d\xc3\xa9j\xc3\xa0"\nok = s == "agent_responded"\n'),
    ],
)
def test_fix_replacements_reproduce_the_rewrite(before: bytes, after: bytes) -> None:
    replacements = [r.to_sarif() for h in hunks(before, after) for r in h.replacements]
    assert _apply(before, replacements) == after


def test_sarif_validates_against_the_schema(tmp_path: Path) -> None:
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    jsonschema.validate(json.loads(render_sarif(_run(tmp_path))), SCHEMA, cls=jsonschema.Draft4Validator)


def test_github_exact(tmp_path: Path) -> None:
    assert render_github(_run(tmp_path)) == (
        "::notice file=app/jobs.py,line=1,col=18,title=migrator (status-writer)::"
        "'failed' -> 'interrupted' [possible, review]: a dict literal with a status key\n"
        "::warning file=app/poll.py,line=3,col=25,title=migrator (status-compare)::"
        f"'done' -> 'agent_responded' [certain, rewrite]: {WHY}\n"
    )


def test_github_escapes_per_workflow_command_rules(tmp_path: Path) -> None:
    odd = Finding("a,b:c%d.py", 2, 3, "python", "done", "agent_responded", "likely", "rewrite", "status-compare",
                  "100% sure:\nsecond line, really\r")
    run = Run(load_options([str(tmp_path)], cwd=tmp_path),
              results=[FileResult(tmp_path / "x.py", "a,b:c%d.py", "python", [odd])])
    assert render_github(run) == (
        "::warning file=a%2Cb%3Ac%25d.py,line=2,col=3,title=migrator (status-compare)::"
        "'done' -> 'agent_responded' [likely, rewrite]: 100%25 sure:%0Asecond line, really%0D\n"
    )


def test_cli_sarif_to_file_is_valid_and_carries_fixes(demo: Path) -> None:
    done = run_cli("scan", "--format", "sarif", "-o", "out.sarif", ".", cwd=demo)
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    document = json.loads((demo / "out.sarif").read_text("utf-8"))
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft4Validator)
    results = document["runs"][0]["results"]
    assert results and all(r["fixes"] for r in results if r["properties"]["action"] == "rewrite")
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"orchestrator/monitor.py"}


def test_cli_github_format(demo: Path) -> None:
    done = run_cli("scan", "--format", "github", ".", cwd=demo)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines and all(line.startswith("::warning file=orchestrator/monitor.py,line=") for line in lines)


def test_cli_github_reports_unreadable_inputs_as_errors(demo: Path) -> None:
    (demo / "broken.py").write_text('if s["status"] == "done" (\n')
    done = run_cli("scan", "--format", "github", ".", cwd=demo)
    assert done.returncode == 3
    assert any(line.startswith("::error file=broken.py,title=migrator::") for line in done.stdout.splitlines())


TWO_CONSTANTS = '''\
from orchestrator.client import invoke

DONE = ("done", "failed")
GONE = {"killed", "timeout"}


def sweep():
    for row in invoke("sessions_list", {})["details"]["sessions"]:
        if row["status"] in DONE or row["status"] in GONE:
            yield row["key"]
        if row["status"] == "done":
            yield row["key"]
'''


def _apply_fixes_in_turn(root: Path, document: dict) -> None:
    """Apply each result's fix on its own, last in the file first (so the
    regions of the earlier ones, given against the original, still hold)."""
    def first(result: dict) -> tuple[str, int, int]:
        change = result["fixes"][0]["artifactChanges"][0]
        region = change["replacements"][0]["deletedRegion"]
        return change["artifactLocation"]["uri"], region["startLine"], region["startColumn"]

    fixed = [r for r in document["runs"][0]["results"] if "fixes" in r]
    for result in sorted(fixed, key=first, reverse=True):
        [change] = result["fixes"][0]["artifactChanges"]
        path = root / change["artifactLocation"]["uri"]
        path.write_bytes(_apply(path.read_bytes(), change["replacements"]))


@pytest.mark.parametrize("phase", ["expand", "contract"])
def test_each_sarif_result_carries_its_own_fix_and_all_of_them_make_apply_write(tmp_path: Path, phase: str) -> None:
    import shutil

    from conftest import FIXTURES, snapshot

    sarif_tree, written_tree = tmp_path / "sarif", tmp_path / "written"
    for tree in (sarif_tree, written_tree):
        shutil.copytree(FIXTURES / "demo", tree, ignore=shutil.ignore_patterns(".migrator"))
        (tree / "orchestrator" / "sweep.py").write_text(TWO_CONSTANTS)
    done = run_cli("scan", ".", "--phase", phase, "--format", "sarif", "-o", str(tmp_path / "out.sarif"), cwd=sarif_tree)
    assert done.returncode == 1, done.stderr
    document = json.loads((tmp_path / "out.sarif").read_text("utf-8"))
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft4Validator)
    results = document["runs"][0]["results"]
    rewrites = [r for r in results if r["properties"]["action"] == "rewrite"]
    sweep = [r for r in rewrites if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("sweep.py")]
    assert len(sweep) == 5
    assert all(len(r["fixes"]) == 1 for r in rewrites)
    # No replacement belongs to two results: applying two results never inserts twice.
    seen = [json.dumps(rep, sort_keys=True) for r in rewrites for rep in r["fixes"][0]["artifactChanges"][0]["replacements"]]
    assert len(seen) == len(set(seen))
    # The comparison on line 11 is fixed on line 11 alone (in contract: one replacement, the literal).
    [line_11] = [r for r in sweep if r["locations"][0]["physicalLocation"]["region"]["startLine"] == 11]
    replacements = line_11["fixes"][0]["artifactChanges"][0]["replacements"]
    assert {(r["deletedRegion"]["startLine"], r["deletedRegion"]["endLine"]) for r in replacements} == {(11, 11)}
    if phase == "contract":
        assert [r["insertedContent"]["text"] for r in replacements] == ['"agent_responded"']
    _apply_fixes_in_turn(sarif_tree, document)
    written = run_cli("apply", ".", "--phase", phase, "--write", "--no-cache", cwd=written_tree)
    assert written.returncode == 0, written.stderr
    assert snapshot(sarif_tree) == snapshot(written_tree)
    assert snapshot(sarif_tree)["orchestrator/sweep.py"] != TWO_CONSTANTS.encode()
