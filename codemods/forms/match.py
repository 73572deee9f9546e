"""`match` on a session status with literal and `|` patterns."""

from __future__ import annotations

import libcst as cst

from codemods.forms._common import ROWS as _ROWS
from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver
from codemods.session_status import Plan, StatusRewriter
from migrator.rules import Example, Rule
from codemods.provenance import case_literals

ORDER = 60

RULE = Rule(
    name="status-match",
    summary="`match` on a session status with literal and `|` patterns.",
    why="A `case \"done\":` never matches the new name a gateway sends after the rename.",
    safety="expand adds the new name as another alternative (`case \"done\" | \"agent_responded\":`); "
    "contract keeps only the new names; an `as` capture keeps its name. A case with a capture "
    "mixed in among the alternatives is listed for review.",
    invalid=(
        Example(
            _ROWS + '    match row["status"]:\n        case "done" | "failed" as st:\n            print(st)\n',
            _ROWS + '    match row["status"]:\n        case "done" | "agent_responded" | "failed" | "interrupted" as st:\n'
            '            print(st)\n',
            _ROWS + '    match row["status"]:\n        case "agent_responded" | "interrupted" as st:\n            print(st)\n',
        ),
        Example(
            _ROWS + '    match row["status"]:\n        case "done":\n            pass\n        case _:\n            pass\n',
            _ROWS + '    match row["status"]:\n        case "done" | "agent_responded":\n            pass\n'
            '        case _:\n            pass\n',
            _ROWS + '    match row["status"]:\n        case "agent_responded":\n            pass\n'
            '        case _:\n            pass\n',
        ),
        Example(
            _ROWS + '    match row.get("status"):\n        case "running":\n            pass\n'
            '        case "failed" | "killed":\n            pass\n',
            _ROWS + '    match row.get("status"):\n        case "running":\n            pass\n'
            '        case "failed" | "interrupted" | "killed" | "halted":\n            pass\n',
            _ROWS + '    match row.get("status"):\n        case "running":\n            pass\n'
            '        case "interrupted" | "halted":\n            pass\n',
        ),
    ),
    valid=(
        Example(
            'reply = client.invoke("sessions_send", {})\nmatch reply["status"]:\n'
            '    case "ok":\n        pass\n    case "timeout":\n        pass\n'
        ),
    ),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for match in facts.matches:
        literals = {id(case): case_literals(case.pattern) for case in match.node.cases}
        words = [string_value(lit) or "" for group in literals.values() for lit in group]
        if not (set(words) & rw.vocab.old):
            continue
        subject = resolver.subject(match.subject, match.scope)
        if subject is None:
            continue
        verdict = resolver.verdict(subject, words, "matched on")
        if verdict.confidence is None:
            continue
        for case in match.node.cases:
            group = literals[id(case)]
            if not any(string_value(lit) in rw.vocab.old for lit in group):
                continue
            values = case.pattern.pattern if isinstance(case.pattern, cst.MatchAs) else case.pattern
            if not isinstance(values, (cst.MatchValue, cst.MatchOr)) or (
                isinstance(values, cst.MatchOr)
                and not all(isinstance(p.pattern, cst.MatchValue) for p in values.patterns)
            ):
                # A capture or guard mixed in: a person writes the new pattern.
                rewrite = False
            else:
                rewrite = rw.allowed(verdict)
            line = facts.pos(case).start.line
            rewrite = rewrite and not rw.ignored(facts, line)
            rw.add(plan, facts, case.pattern, line, group, verdict, "status-match", rewrite, "pattern")
