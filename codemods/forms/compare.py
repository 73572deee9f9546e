"""`==` / `!=` between a session status and an old name."""

from __future__ import annotations

from codemods.forms._common import ROWS as _ROWS
import libcst as cst

from codemods.forms import column_compare
from codemods.forms.orm_column import column_of
from codemods.provenance import ModuleFacts, Resolver
from codemods.session_status import Plan, StatusRewriter
from migrator.rules import Example, Rule

ORDER = 10

RULE = Rule(
    name="status-compare",
    summary="`==` / `!=` between a session status and an old name.",
    why="After the rename a gateway may send the new name; a reader that only "
    "knows the old one silently takes the other branch.",
    safety="expand turns the test into membership of both names, so it behaves "
    "the same against old and new gateways; contract swaps in the new name.",
    invalid=(
        Example(
            _ROWS + '    if row["status"] == "done":\n        print(row["key"])\n',
            _ROWS + '    if row["status"] in ("done", "agent_responded"):\n        print(row["key"])\n',
            _ROWS + '    if row["status"] == "agent_responded":\n        print(row["key"])\n',
        ),
        Example(
            _ROWS + "    if row.get('status', '').strip().lower() != 'failed':\n        pass\n",
            _ROWS + "    if row.get('status', '').strip().lower() not in ('failed', 'interrupted'):\n        pass\n",
            _ROWS + "    if row.get('status', '').strip().lower() != 'interrupted':\n        pass\n",
        ),
    ),
    valid=(
        Example(
            'reply = client.invoke("sessions_send", {"message": "hi"})\n'
            'if reply["status"] == "timeout":\n    retry()\n'
        ),
        Example('def finished(job):\n    return job["status"] == "done"\n'),
    ),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for comparison, words, verdict in rw.compared(facts, resolver, 'literal'):
        if column_of(comparison, facts, resolver) and resolver.origin(comparison.subject.value, comparison.scope).kind == "session":  # type: ignore[attr-defined]
            continue  # a SQLAlchemy column's test: status-orm-column
        if column_compare.claims(comparison, facts):
            continue  # a table column's `==`: status-column-compare
        rewrite = rw.allowed(verdict) and not rw.ignored(facts, comparison.line)
        rw.add(plan, facts, comparison.node, comparison.line, rw.literals(comparison.other), verdict, RULE.name,
               rewrite, 'compare')
