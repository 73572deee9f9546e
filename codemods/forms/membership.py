"""`in` / `not in` with a literal tuple, list or set of old names."""

from __future__ import annotations

from codemods.forms._common import ROWS as _ROWS
from codemods.forms import column_compare
from codemods.forms.orm_column import column_of
from codemods.provenance import ModuleFacts, Resolver
from codemods.session_status import Plan, StatusRewriter
from migrator.rules import Example, Rule

ORDER = 20

RULE = Rule(
    name="status-membership",
    summary="`in` / `not in` with a literal tuple, list or set of old names.",
    why="A collection of old names misses every new name a gateway sends.",
    safety="expand adds each new name right after its old one; contract keeps "
    "only the new names, and a one-element test becomes `==` / `!=`.",
    invalid=(
        Example(
            _ROWS + '    if row["status"] in ("done", "failed"):\n        pass\n',
            _ROWS + '    if row["status"] in ("done", "agent_responded", "failed", "interrupted"):\n        pass\n',
            _ROWS + '    if row["status"] in ("agent_responded", "interrupted"):\n        pass\n',
        ),
        Example(
            _ROWS + '    if row["status"] not in ["killed"]:\n        pass\n',
            _ROWS + '    if row["status"] not in ["killed", "halted"]:\n        pass\n',
            _ROWS + '    if row["status"] != "halted":\n        pass\n',
        ),
        # A column's `.isin(...)` (pandas) is the same test.
        Example(
            'df = pd.DataFrame(client.invoke("sessions_list", {})["sessions"])\n'
            'bad = df[df["status"].isin(["failed"])]\n',
            'df = pd.DataFrame(client.invoke("sessions_list", {})["sessions"])\n'
            'bad = df[df["status"].isin(["failed", "interrupted"])]\n',
            'df = pd.DataFrame(client.invoke("sessions_list", {})["sessions"])\n'
            'bad = df[df["status"].isin(["interrupted"])]\n',
        ),
    ),
    valid=(
        Example(
            'proc = run_process()\nif proc["status"] in ("completed", "failed", "killed"):\n    pass\n'
        ),
        # Ordered comparisons sort statuses; they are not status tests.
        Example(_ROWS + '    if row["status"] < "done":\n        pass\n'),
        Example(_ROWS + '    rows = sorted(data["sessions"], key=lambda r: r["status"] >= "failed")\n'),
    ),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for comparison, words, verdict in rw.compared(facts, resolver, 'collection'):
        if column_of(comparison, facts, resolver) and resolver.origin(comparison.subject.value, comparison.scope).kind == "session":  # type: ignore[attr-defined]
            continue  # a SQLAlchemy column's test: status-orm-column
        if column_compare.claims(comparison, facts):
            continue  # the membership expand writes for a table column's `==`: status-column-compare
        rewrite = rw.allowed(verdict) and not rw.ignored(facts, comparison.line)
        rw.add(plan, facts, comparison.node, comparison.line, rw.literals(comparison.other), verdict, RULE.name,
               rewrite, 'membership')
