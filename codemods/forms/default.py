"""The default of `row.get("status", ...)` and an `or` fallback after a status read."""

from __future__ import annotations

import libcst as cst

from codemods.forms._common import ROWS as _ROWS
from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Verdict
from codemods.session_status import CodeFinding, Plan, StatusRewriter
from migrator.rules import Example, Rule

ORDER = 100

RULE = Rule(
    name="status-default",
    summary="The default of `row.get(\"status\", ...)`.",
    why="A default stands in for a stored value, so it follows the writers.",
    safety="Left alone in expand; rewritten in contract.",
    invalid=(
        Example(
            _ROWS + '    state = row.get("status", "done")\n',
            None,
            _ROWS + '    state = row.get("status", "agent_responded")\n',
        ),
    ),
    valid=(Example('def state(job):\n    return job.get("status", "done")\n'),),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for target, literal, scope, kind in facts.writers:
        value = string_value(literal)
        if kind != "default" or value not in rw.vocab.old:
            continue
        subject = resolver.subject(target, scope)
        if subject is None:
            continue
        verdict = resolver.verdict(subject, [value], "default of")
        if verdict.confidence is None:
            continue
        line = facts.pos(literal).start.line
        # A default stands in for a stored value: it follows the writers.
        rewrite = rw.phase == "contract" and rw.allowed(verdict) and not rw.ignored(facts, line)
        rw.add(plan, facts, literal, line, [literal], verdict, RULE.name, rewrite, "literal")
