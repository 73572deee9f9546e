"""An old name inside a message or f-string, in a module that talks to OpenClaw."""

from __future__ import annotations

from codemods.forms._common import ROWS as _ROWS
from codemods.provenance import ModuleFacts, Resolver
from codemods.session_status import CodeFinding, Plan, StatusRewriter
from migrator.rules import Example, Rule

ORDER = 110

RULE = Rule(
    name="status-message",
    summary="An old name inside a message or f-string, in a module that talks to OpenClaw.",
    why="Messages that list the allowed values go stale after the rename, but prose cannot be "
    "rewritten mechanically.",
    safety="Never rewritten: listed for review. Docstrings and bytes are ignored.",
    invalid=(
        Example(
            _ROWS + '    if row["status"] not in ALLOWED:\n'
            '        raise ValueError(f"{row[\'status\']!r} is not one of running, done, failed")\n'
        ),
    ),
    valid=(
        Example('def report(jobs):\n    return f"{len(jobs)} done"\n'),
        # English, not a status: no "status" and no list of values.
        Example('import openclaw\n\ndef spawn(task):\n    print("spawn failed, giving up")\n'),
    ),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    """Listed for review only: prose cannot be rewritten mechanically."""
    evidence = resolver.module_evidence
    if not evidence:
        return  # prose about jobs is no business of ours
    for node, found, _ in facts.messages:
        start = facts.pos(node).start
        for word in dict.fromkeys(found):
            why = f"`{word}` inside a message or f-string; module talks to OpenClaw ({evidence[0]})"
            plan.findings.append(
                CodeFinding(start.line, start.column + 1, word, rw.vocab.to_new(word), "possible", False, RULE.name, why)
            )
