"""`set(...)` / `frozenset(...)` of old names compared with a session status."""

from __future__ import annotations

from codemods.forms._common import ROWS as _ROWS
from codemods.provenance import ModuleFacts, Resolver
from codemods.session_status import Plan, StatusRewriter
from migrator.rules import Example, Rule

ORDER = 30

RULE = Rule(
    name="status-set-call",
    summary="`set(...)` / `frozenset(...)` of old names, inline or as a constant.",
    why="A set built by a call is a membership collection like a literal one.",
    safety="The literal inside the call is edited like a membership collection; "
    "the call itself is kept.",
    invalid=(
        Example(
            _ROWS + '    if row["status"] in frozenset(("done", "killed")):\n        pass\n',
            _ROWS + '    if row["status"] in frozenset(("done", "agent_responded", "killed", "halted")):\n        pass\n',
            _ROWS + '    if row["status"] in frozenset(("agent_responded", "halted")):\n        pass\n',
        ),
        Example(
            'ENDED = set(["failed", "timeout"])\n' + _ROWS + '    if row["status"] in ENDED:\n        pass\n',
            'ENDED = set(["failed", "interrupted", "timeout", "waiting_for_response"])\n'
            + _ROWS + '    if row["status"] in ENDED:\n        pass\n',
            'ENDED = set(["interrupted", "waiting_for_response"])\n'
            + _ROWS + '    if row["status"] in ENDED:\n        pass\n',
        ),
    ),
    valid=(Example('ENDED = frozenset({"done", "failed"})\n\ndef over(task):\n    return task.state in ENDED\n'),),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for comparison, words, verdict in rw.compared(facts, resolver, 'call'):
        rewrite = rw.allowed(verdict) and not rw.ignored(facts, comparison.line)
        rw.add(plan, facts, comparison.node, comparison.line, rw.literals(comparison.other), verdict, RULE.name,
               rewrite, 'membership')
