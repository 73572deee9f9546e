"""One registry of rules: every rule id a scan can emit has an `explain` page,
and the CLI, SARIF and the engines read the same list."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import FIXTURES, run_cli

from migrator.engines import registered
from migrator.rules import all_rules, rule_for


def test_every_engine_declares_its_rules_once() -> None:
    names = [rule.name for rule in all_rules()]
    assert len(names) == len(set(names))
    for engine in registered():
        assert engine.rules, engine.kind
        for rule in engine.rules:
            assert rule_for(rule.name) == rule


def test_store_and_data_rules_come_from_the_manifest() -> None:
    names = {rule.name for rule in all_rules()}
    assert {"data-rule", "store:sessions-json", "store:agent-sqlite"} <= names


def test_explain_answers_every_rule_id_a_scan_emits(tmp_path: Path) -> None:
    for name in ("demo", "prompts", "state"):
        shutil.copytree(FIXTURES / name, tmp_path / name, ignore=shutil.ignore_patterns(".migrator"))
    emitted: set[str] = set()
    for args in (("scan", "demo"), ("scan", "prompts"), ("scan", "--state-dir", "state", "--gateway-version", "2027.1.0")):
        result = run_cli(*args, "--format", "json", cwd=tmp_path)
        assert result.returncode in (0, 1), result.stderr
        emitted |= {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert {"status-compare", "store:sessions-json", "prompt-status"} <= emitted
    for rule in sorted(emitted | {"data-rule", "store:agent-sqlite"}):
        result = run_cli("explain", rule, cwd=tmp_path)
        assert result.returncode == 0, (rule, result.stderr)
        assert result.stdout.startswith(f"{rule}: ")


def test_explain_unknown_rule_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("explain", "no-such-rule", cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown rule 'no-such-rule'" in result.stderr
