"""Do no harm: words that merely look like OpenClaw are not provenance, and
the values that stand in for a missing status move with the tests that read
them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codemods.session_status import StatusRewriter
from migrator.manifest import load_manifest
from tests.conftest import run_cli

MANIFEST = load_manifest()


def _run(code: str, phase: str = "contract") -> str:
    return StatusRewriter(MANIFEST, phase).rewrite(code.encode()).code.decode()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "code",
    [
        # "session" is an HTTP, database or upload session just as often.
        'def upload_finished(session):\n    return session["status"] == "done"\n',
        'def failed(sessions):\n    return [s for s in sessions if s.status == "failed"]\n',
        # The word "openclaw" in a URL, a path or another CLI command ties
        # nothing to session rows.
        'WEBHOOK = "https://hooks.example.com/openclaw"\n\ndef on_build(build):\n    return build["status"] == "failed"\n',
        'import os\nSTATE = os.path.expanduser("~/.openclaw")\n\ndef step_done(step):\n    return step["status"] in ("done", "failed")\n',
        'import subprocess\nsubprocess.run(["openclaw", "doctor", "--fix"])\n\ndef ok(build):\n    return build["status"] == "done"\n',
        # A module that handles agents_wait results too: a status of unknown
        # origin there may be either.
        'rows = invoke("sessions_list")\nwaits = invoke("agents_wait", {})\n\ndef finished(c):\n    return c["status"] == "done"\n',
        # A process record is another vocabulary.
        'import openclaw\n\ndef stopped(proc):\n    return proc["status"] == "killed"\n',
    ],
)
def test_not_rewritten_without_real_provenance(code: str) -> None:
    assert _run(code) == code
    assert _run(code, "expand") == code


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (   # importing the OpenClaw package is provenance
            'import openclaw\n\ndef done(row):\n    return row["status"] == "done"\n',
            'import openclaw\n\ndef done(row):\n    return row["status"] == "agent_responded"\n',
        ),
        (   # so is running its CLI's session list
            'import json, subprocess\nout = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True).stdout\n'
            'def done(row):\n    return row["status"] == "done"\n',
            'import json, subprocess\nout = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True).stdout\n'
            'def done(row):\n    return row["status"] == "agent_responded"\n',
        ),
    ],
)
def test_real_provenance_still_counts(code: str, expected: str) -> None:
    assert _run(code) == expected


ROWS = 'def rows():\n    return invoke("sessions_list")["sessions"]\n\n'


def test_or_fallback_moves_with_the_test_in_contract() -> None:
    code = ROWS + 'def f():\n    return [r for r in rows() if (r.get("status") or "done") == "done"]\n'
    assert _run(code, "expand") == ROWS + (
        'def f():\n    return [r for r in rows() if (r.get("status") or "done") in ("done", "agent_responded")]\n'
    )
    assert _run(code) == ROWS + (
        'def f():\n    return [r for r in rows() if (r.get("status") or "agent_responded") == "agent_responded"]\n'
    )


def test_or_fallback_through_a_binding() -> None:
    code = ROWS + (
        'def h():\n    for r in rows():\n        st = r.get("status") or r.get("lastStatus") or "timeout"\n'
        '        if st == "timeout":\n            yield r\n'
    )
    out = _run(code)
    assert 'or "waiting_for_response"\n' in out
    assert 'if st == "waiting_for_response":' in out


def test_walrus_subject_is_followed() -> None:
    code = ROWS + 'def f():\n    return [s for s in rows() if (st := s["status"]) == "done" or st == "killed"]\n'
    assert _run(code) == ROWS + (
        'def f():\n    return [s for s in rows() if (st := s["status"]) == "agent_responded" or st == "halted"]\n'
    )


def test_update_keyword_is_a_writer() -> None:
    code = 'import json\nstore = json.load(open("sessions.json"))\nfor key in store:\n    store[key].update(status="killed")\n'
    assert _run(code, "expand") == code
    assert _run(code) == code.replace('"killed"', '"halted"')


CALLERS = '''import client

def is_terminal(session):
    return session["status"] in ("done", "failed")

def finished(c):
    return c["status"] == "done"

def main():
    for s in client.sessions_list()["sessions"]:
        if is_terminal(s):
            client.sessions_send(s["key"], "status?")
    for c in client.agents_wait(["a"]):
        print(finished(c))
'''


def test_a_parameter_is_what_the_module_passes_it() -> None:
    """In a module that also handles sessions_send and agents_wait results, a
    helper's parameter is a session row when its callers pass session rows,
    and another vocabulary when they pass anything else."""
    out = _run(CALLERS, "expand")
    assert '    return session["status"] in ("done", "agent_responded", "failed", "interrupted")\n' in out
    assert '    return c["status"] == "done"\n' in out
    findings = StatusRewriter(MANIFEST, "expand").rewrite(CALLERS.encode()).findings
    assert {f.confidence for f in findings} == {"certain"}
    assert "`session` of `is_terminal()` is passed" in findings[0].why


_SDK = (
    '"""Another SDK\'s sessions resource: `sessions.list` is its own method."""\n\n\n'
    "def wrap(method):\n    return method\n\n\n"
    "class SessionsWithRawResponse:\n    def __init__(self, sessions):\n"
    "        self.list = wrap(\n            sessions.list,\n        )\n"
    "        # sessions.list, in a comment too\n"
)


@pytest.mark.parametrize(("line", "talks"), [
    ("", False),
    # The same token in a string is a call of the gateway method.
    ('        self.method = "sessions.list"\n', True),
])
def test_a_dotted_token_is_evidence_only_in_a_string(tmp_path: Path, line: str, talks: bool) -> None:
    # `sessions.list,` as an attribute chain (the openai SDK's own resource)
    # in code, a docstring and a comment is no evidence: a module importing
    # it is not tied to OpenClaw, and its `Literal` of session words is left.
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\n")
    (tmp_path / "sdk").mkdir()
    (tmp_path / "sdk/__init__.py").write_text("")
    (tmp_path / "sdk/sessions.py").write_text(_SDK + line)
    app = 'from typing import Literal\n\nfrom sdk.sessions import SessionsWithRawResponse\n\nSessionStatus = Literal["running", "done", "failed"]\n'
    (tmp_path / "sdk/app.py").write_text(app)
    done = run_cli("scan", "--format", "json", "--no-cache", ".", cwd=tmp_path)
    found = [(f["path"], f["line"], f["old"], f["confidence"]) for f in json.loads(done.stdout)["findings"]]
    if talks:
        assert done.returncode == 1
        assert found == [("sdk/app.py", 5, "done", "likely"), ("sdk/app.py", 5, "failed", "likely")]
        assert "imports `sdk.sessions`, which uses sessions.list" in json.loads(done.stdout)["findings"][0]["why"]
    else:
        assert (done.returncode, found) == (0, [])


_CLUSTER = (
    "class Helper:\n"
    "    def _get_current_cluster_session_nodes(self, name):\n        return []\n\n"
    '    def settled(self, row):\n        return row["status"] in ("done", "failed")\n'
)


@pytest.mark.parametrize(("line", "confidence"), [
    # ray's autoscaler names a method after its cluster's session nodes:
    # another project's identifier, no sign of OpenClaw's table.
    ("", "possible"),
    # The table named in a query is.
    ('\nQUERY = "SELECT status FROM session_nodes"\n', "likely"),
])
def test_a_table_name_is_evidence_only_in_a_string(tmp_path: Path, line: str, confidence: str) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.migrator]\n")
    (tmp_path / "helper.py").write_text(_CLUSTER + line)
    done = run_cli("scan", "--format", "json", "--no-cache", "--min-confidence", "possible", "--phase", "contract",
                   ".", cwd=tmp_path)
    found = [(f["line"], f["old"], f["confidence"]) for f in json.loads(done.stdout)["findings"]]
    assert (done.returncode, found) == (1, [(6, "done", confidence), (6, "failed", confidence)])
    applied = run_cli("apply", "--write", "--phase", "contract", "--no-cache", ".", cwd=tmp_path)
    assert applied.returncode in (0, 1)
    rewritten = '"agent_responded"' in (tmp_path / "helper.py").read_text()
    assert rewritten is (confidence == "likely")  # a `possible` finding is never rewritten
