"""A validator's raw value (pydantic's `@field_validator("status",
mode="before")`, the manifest's `field-validators`): in a model built from
session rows, the value it is handed for `status` is a session status, so
the tuple it is tested against is rewritten like a test of `row.status`. A
model of sub-agent run outcomes with the same validator over its own
`status` stays. A real pydantic run of the migrated models checks both."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import imported, run_cli, write_package

MODELS = '''from pydantic import BaseModel, TypeAdapter, field_validator


class Row(BaseModel):
    key: str
    status: str | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _tidy(cls, v):
        if not isinstance(v, str):
            return None
        v = v.strip().lower()
        return v if v in ("running", "done", "failed", "killed", "timeout") else None


class Outcome(BaseModel):
    status: str = "unknown"

    @field_validator("status", mode="before")
    @classmethod
    def _known(cls, v):
        return v if v in ("ok", "error", "timeout") else "unknown"


def sessions(client) -> list[Row]:
    result = client.invoke("sessions_list", {"limit": 50})
    return TypeAdapter(list[Row]).validate_python(result["details"]["sessions"])
'''

EXPANDED = MODELS.replace('("running", "done", "failed", "killed", "timeout")',
                          '("running", "done", "agent_responded", "failed", "interrupted", "killed", "halted", '
                          '"timeout", "waiting_for_response")')
CONTRACTED = MODELS.replace('("running", "done", "failed", "killed", "timeout")',
                            '("running", "agent_responded", "interrupted", "halted", "waiting_for_response")')


# The same rows validated one by one: a constructor the model inherits.
ONE_BY_ONE = MODELS.replace('TypeAdapter(list[Row]).validate_python(result["details"]["sessions"])',
                            '[Row.model_validate(r) for r in result["details"]["sessions"]]')


def _tree(tmp_path: Path, models: str = MODELS) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    write_package(root, "typed", {"models.py": models})
    return root


@pytest.mark.parametrize("models", [MODELS, ONE_BY_ONE], ids=["type-adapter", "model-validate"])
def test_scan_reads_the_validated_value_as_the_models_status(tmp_path: Path, models: str) -> None:
    assert ("validate_python" in models) != ("model_validate" in models)
    scan = run_cli("scan", ".", "--show-why", cwd=_tree(tmp_path, models))
    assert (scan.returncode, scan.stderr) == (1, "")
    lines = [line.split(" -> ")[0] for line in scan.stdout.splitlines() if line.startswith("typed/")]
    assert lines == [
        "typed/models.py:14:38: status-membership [certain, rewrite] 'done'",
        "typed/models.py:14:46: status-membership [certain, rewrite] 'failed'",
        "typed/models.py:14:56: status-membership [certain, rewrite] 'killed'",
        "typed/models.py:14:66: status-membership [certain, rewrite] 'timeout'",
    ]
    assert "compared with `v` (the `status` a `Row` is given, as its validator sees it), where `cls` is" in scan.stdout


class Client:
    def __init__(self, *statuses: str) -> None:
        self.statuses = statuses

    def invoke(self, tool: str, args: dict) -> dict:
        return {"details": {"sessions": [{"key": f"s{i}", "status": s} for i, s in enumerate(self.statuses)]}}


def test_expand_and_contract_bytes_and_behaviour(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    for phase, expected, speaks in (
        ("expand", EXPANDED, (("Failed ", "timeout"), ("interrupted", "waiting_for_response"))),
        ("contract", CONTRACTED, (("interrupted", "waiting_for_response"),)),
    ):
        done = run_cli("apply", ".", "--write", "--phase", phase, "--allow-dirty", cwd=root)
        assert done.returncode == 0, done.stderr
        assert (root / "typed" / "models.py").read_text("utf-8") == expected, phase
        with imported(root, "typed"):
            from typed import models  # type: ignore[import-not-found]

            for given in speaks:
                rows = models.sessions(Client(*given, "bogus"))
                assert [r.status for r in rows] == [given[0].strip().lower(), given[1], None], (phase, given)
            assert models.Outcome(status="timeout").status == "timeout"
            assert models.Outcome(status="waiting_for_response").status == "unknown"
