"""Every rule's VALID and INVALID examples, turned into tests (as Fixit does).

For each INVALID example: each phase gives exactly the documented result (or
leaves the module byte-identical and lists it for review), the AST safety check
accepts the result, both phases are idempotent and contract(expand(x)) ==
contract(x). For each VALID example: nothing is rewritten in either phase.
"""

from __future__ import annotations

import pytest

from codemods.forms import rules
from migrator.rules import Example, Rule
from codemods.session_status import StatusRewriter, equivalent_except_literals
from migrator.manifest import load_manifest

MANIFEST = load_manifest()
RULES = rules()


def _cases(kind: str) -> list[object]:
    out = []
    for rule in RULES:
        examples = rule.invalid if kind == "invalid" else rule.valid
        for index, example in enumerate(examples):
            out.append(pytest.param(rule, example, id=f"{rule.name}-{kind}-{index}"))
    return out


def _run(source: str, phase: str) -> tuple[str, list[object]]:
    result = StatusRewriter(MANIFEST, phase).rewrite(source.encode())  # type: ignore[arg-type]
    # A site expand keeps by design (a writer) is noted as contract pending.
    return result.code.decode(), [*result.findings, *result.kept]


@pytest.mark.parametrize(("rule", "example"), _cases("invalid"))
@pytest.mark.parametrize("phase", ["expand", "contract"])
def test_invalid_example(rule: Rule, example: Example, phase: str) -> None:
    expected = getattr(example, phase)
    after, findings = _run(example.before, phase)
    assert after == (expected if expected is not None else example.before), f"{rule.name} ({phase})"
    assert any(f.rule == rule.name for f in findings), f"{rule.name}: no finding of this rule ({phase})"  # type: ignore[attr-defined]
    if expected is None:
        assert all(not f.rewrite for f in findings if f.rule == rule.name)  # type: ignore[attr-defined]
    problem = equivalent_except_literals(example.before.encode(), after.encode(), MANIFEST.vocabulary)
    assert problem is None, f"{rule.name} ({phase}): {problem}"
    again, _ = _run(after, phase)
    assert again == after, f"{rule.name}: {phase} is not idempotent"


@pytest.mark.parametrize(("rule", "example"), _cases("invalid"))
def test_contract_of_expand_equals_contract(rule: Rule, example: Example) -> None:
    expanded, _ = _run(example.before, "expand")
    via_expand, _ = _run(expanded, "contract")
    direct, _ = _run(example.before, "contract")
    assert via_expand == direct, rule.name


@pytest.mark.parametrize(("rule", "example"), _cases("valid"))
@pytest.mark.parametrize("phase", ["expand", "contract"])
def test_valid_example(rule: Rule, example: Example, phase: str) -> None:
    after, findings = _run(example.before, phase)
    assert after == example.before, f"{rule.name} ({phase}) rewrote a VALID example"
    assert not [f for f in findings if f.rule == rule.name and f.rewrite], rule.name  # type: ignore[attr-defined]


def test_every_rule_has_examples_of_both_kinds() -> None:
    for rule in RULES:
        assert rule.invalid and rule.valid, rule.name
        for part in (rule.summary, rule.why, rule.safety):
            assert part.strip(), rule.name


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_explain_prints_description_and_examples(rule: Rule) -> None:
    from click.testing import CliRunner

    from migrator.cli import main

    result = CliRunner().invoke(main, ["explain", rule.name])
    assert result.exit_code == 0, result.output
    assert rule.summary in result.output and "Fix safety:" in result.output
    assert rule.invalid[0].before.splitlines()[0] in result.output
