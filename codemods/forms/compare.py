"""`==` / `!=` between a session status and an old name."""

from __future__ import annotations

from codemods.forms._common import ROWS as _ROWS
import libcst as cst

from codemods import tables
from codemods.forms.orm_column import column_of
from codemods.provenance import TABLES, ModuleFacts, Resolver, Scope, Verdict
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


def _tabular(subject: cst.BaseExpression, scope: Scope, facts: ModuleFacts) -> bool:
    """Whether ``subject`` is a column of a table (``df.status``,
    ``df["status"]`` with ``df = pd.DataFrame(...)``, ``pl.col("status")`` in
    a frame's method, a pyarrow column): its ``==`` is element by element,
    and ``in`` would test the table's index, not its values."""
    if tables.column_read(subject, facts.frame_columns) is not subject:
        return True
    base = subject
    while isinstance(base, (cst.Subscript, cst.Attribute)):
        base = base.value
    if not isinstance(base, cst.Name):
        return False
    for binding in scope.lookup(base.value):
        value = binding.value
        for _ in range(12):  # pd.DataFrame.from_dict(store).rename_axis("key").reset_index()
            if isinstance(value, cst.Call):
                if (cst.helpers.get_full_name_for_node(value.func) or "").rsplit(".", 1)[-1] in TABLES:
                    return True
                value = value.func
            elif isinstance(value, (cst.Attribute, cst.Subscript)):
                value = value.value
            else:
                break
    return False


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for comparison, words, verdict in rw.compared(facts, resolver, 'literal'):
        if column_of(comparison, facts, resolver) and resolver.origin(comparison.subject.value, comparison.scope).kind == "session":  # type: ignore[attr-defined]
            continue  # a SQLAlchemy column's test: status-orm-column
        rewrite = rw.allowed(verdict) and not rw.ignored(facts, comparison.line)
        if isinstance(comparison.node, cst.Call) and tables.compute_test(comparison.node):  # pc.equal(column, "done"): a column, its literal renamed
            if rw.phase == "expand" and rewrite:
                verdict = Verdict(verdict.confidence, f"{verdict.why}; a column of a table: accepting both names "
                                                      f"takes `pc.is_in(...)`, left for review in expand")
                rewrite = False
            rw.add(plan, facts, comparison.other, comparison.line, rw.literals(comparison.other), verdict, RULE.name,
                   rewrite, 'literal')
            continue
        if rw.phase == "expand" and rewrite and _tabular(comparison.subject, comparison.scope, facts):
            # A column accepts both names with `.isin(...)`, not `in`: listed.
            verdict = Verdict(verdict.confidence, f"{verdict.why}; a column of a table: accepting both names "
                                                  f"takes `.isin([...])`, left for review in expand")
            rewrite = False
        rw.add(plan, facts, comparison.node, comparison.line, rw.literals(comparison.other), verdict, RULE.name,
               rewrite, 'compare')
