"""The default of `row.get("status", ...)` and an `or` fallback after a status read."""

from __future__ import annotations

from codemods.forms._common import ROWS as _ROWS
from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver
from codemods.session_status import Plan, StatusRewriter
from codemods.forms.writer import stored_verdict, write
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
        # A default stands in for a stored value: it follows the writers.
        verdict = stored_verdict(resolver, target, scope, value or "", "default of")
        if verdict is not None:
            write(rw, facts, plan, literal, verdict, RULE.name)
