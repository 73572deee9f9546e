"""A collection of old names a validating helper tests a session status in:
``one_of(row["status"], {"done", "failed"})``.

A helper of the project validates when its body tests one of its parameters
for membership in another (``return value if value in allowed else None``,
``if value not in allowed: raise ...``, ``return value in allowed``); see
:func:`codemods.sites.validating_helpers`. Its call is then the membership
test ``row["status"] in {...}``, judged by the same provenance. The helper may
be defined in the module or imported from another module of the project
(:attr:`codemods.provenance.TreeKnowledge.validators`); a library function
of the same shape is not the project's and is never read as one."""

from __future__ import annotations

from codemods.forms._common import ROWS as _ROWS
from codemods.provenance import ModuleFacts, Resolver
from codemods.session_status import Plan, StatusRewriter
from migrator.rules import Example, Rule

ORDER = 35

_ONE_OF = "def one_of(value, allowed):\n    return value if value in allowed else None\n\n\n"
_REQUIRE = "def require(value, allowed):\n    if value not in allowed:\n        raise ValueError(value)\n    return value\n\n\n"

RULE = Rule(
    name="status-validator",
    summary="A collection of old names a validating helper tests a session status in "
    "(`one_of(row[\"status\"], {...})`).",
    why="A helper that keeps a value only if it is one of the allowed words drops (or rejects) "
    "every new name a gateway sends, like an `in` test with the old names.",
    safety="The collection is edited like a membership collection: expand adds each new name "
    "right after its old one, contract keeps only the new names; words of another vocabulary "
    "in it stay. The helper and the call are kept.",
    invalid=(
        Example(
            _ONE_OF + _ROWS + '    print(one_of(row.get("status"), {"running", "done", "failed"}))\n',
            _ONE_OF + _ROWS
            + '    print(one_of(row.get("status"), {"running", "done", "agent_responded", "failed", "interrupted"}))\n',
            _ONE_OF + _ROWS + '    print(one_of(row.get("status"), {"running", "agent_responded", "interrupted"}))\n',
        ),
        Example(
            _REQUIRE + _ROWS + '    require(allowed=("killed", "timeout"), value=row["status"])\n',
            _REQUIRE + _ROWS
            + '    require(allowed=("killed", "halted", "timeout", "waiting_for_response"), value=row["status"])\n',
            _REQUIRE + _ROWS + '    require(allowed=("halted", "waiting_for_response"), value=row["status"])\n',
        ),
    ),
    valid=(
        # A job queue's state, through the same helper.
        Example(_ONE_OF + 'def over(job):\n    return one_of(job["state"], {"done", "failed"})\n'),
        # A helper that tests no membership validates nothing.
        Example('def log(value, extra):\n    print(value, extra)\n\n\n' + _ROWS + '    log(row["status"], {"done"})\n'),
        # A library's function of the same shape is not the project's.
        Example('from formlib import one_of\n\n' + _ROWS + '    one_of(row["status"], {"done", "failed"})\n'),
    ),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for comparison, words, verdict in rw.compared(facts, resolver, "helper"):
        rewrite = rw.allowed(verdict) and not rw.ignored(facts, comparison.line)
        rw.add(plan, facts, comparison.other, comparison.line, rw.literals(comparison.other), verdict, RULE.name,
               rewrite, "collection")
