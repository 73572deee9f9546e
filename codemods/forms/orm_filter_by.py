"""SQLAlchemy `filter_by(status=...)` on a query of a mapped class whose
status holds session statuses."""

from __future__ import annotations

import ast

import libcst as cst

from codemods import orm
from codemods.edits import pair_tuple
from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Verdict
from codemods.session_status import Plan, StatusRewriter
from migrator.manifest import Vocabulary
from migrator.rules import Example, Rule

ORDER = 13  # after status-orm-column: contract after expand reads its edit
EDIT = "orm-filter-by"

_MODEL = (
    "from sqlalchemy import String, select\n"
    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
    "class Base(DeclarativeBase):\n    pass\n\n\n"
    "class Seat(Base):\n    __tablename__ = \"seat\"\n\n"
    "    key: Mapped[str] = mapped_column(String(200), primary_key=True)\n"
    "    agent: Mapped[str] = mapped_column(String(64))\n"
    "    status: Mapped[str] = mapped_column(String(20))\n\n\n"
    "def pull(db, client):\n"
    "    for entry in client.invoke(\"sessions_list\", {})[\"sessions\"]:\n"
    "        db.add(Seat(key=entry[\"key\"], agent=entry[\"agentId\"], status=entry[\"status\"]))\n\n\n"
)

RULE = Rule(
    name="status-orm-filter-by",
    summary="SQLAlchemy `filter_by(status=\"done\")` on a query of a mapped class whose status is stored "
    "from session rows.",
    why="`filter_by` tests equality: after the rename it finds none of the rows a new gateway wrote.",
    safety="The query must select the class alone (`select(Seat)`, `db.query(Seat)`, `Seat.query` and "
    "chains of `where`, `order_by`, `limit`...; after a join `filter_by` tests the joined class, left "
    "alone). `filter_by` takes no membership test, so expand moves the status out of it: "
    "`.filter(Seat.status.in_((\"done\", \"agent_responded\")))`, its other keywords staying in "
    "`filter_by`; contract writes the new name in `filter_by`, and turns expand's `.filter(...)` back "
    "into it. Queries of other classes are left alone.",
    invalid=(
        Example(
            _MODEL + "def finished(db):\n    return db.scalars(select(Seat).filter_by(status=\"done\")).all()\n",
            _MODEL + "def finished(db):\n    return db.scalars(select(Seat).filter("
            "Seat.status.in_((\"done\", \"agent_responded\")))).all()\n",
            _MODEL + "def finished(db):\n    return db.scalars(select(Seat).filter_by(status=\"agent_responded\")).all()\n",
        ),
        Example(
            _MODEL + "def lost(db, agent):\n    return db.query(Seat).filter_by(agent=agent, status='failed').all()\n",
            _MODEL + "def lost(db, agent):\n    return db.query(Seat).filter_by(agent=agent).filter("
            "Seat.status.in_(('failed', 'interrupted'))).all()\n",
            _MODEL + "def lost(db, agent):\n    return db.query(Seat).filter_by(agent=agent, status='interrupted').all()\n",
        ),
    ),
    valid=(
        # The project's own job table with the same words.
        Example(
            "from sqlalchemy import select\n\n\n"
            "class Job(Base):\n    __tablename__ = \"job\"\n    status: Mapped[str]\n\n\n"
            "def finished(db):\n    return select(Job).filter_by(status=\"done\")\n"
        ),
        # After a join, `filter_by` tests the joined class.
        Example(_MODEL + "def named(db):\n    return select(Seat).join(Job).filter_by(status=\"done\")\n"),
    ),
)


def _origin(resolver: Resolver, model: str) -> Verdict | None:
    found = resolver.class_origin(model)
    if found is None or found.kind != "session" or found.strength != "strong":
        return None
    return Verdict("certain", f"`filter_by` on a query of `{model}`, {found.why}")


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    fields = facts.keys | facts.attributes
    for call, _ in facts.all_calls:
        func = call.func
        if not isinstance(func, cst.Attribute):
            continue
        if func.attr.value == "filter" and rw.phase == "contract":
            _expanded(rw, facts, resolver, plan, call)
            continue
        if func.attr.value not in orm.KEYWORD_FILTERS:
            continue
        tested = [a for a in call.args if a.keyword is not None and a.keyword.value in fields
                  and isinstance(a.value, cst.SimpleString) and string_value(a.value) in rw.vocab.old]
        if len(tested) != 1 or any(a.star for a in call.args):
            continue
        model = orm.query_model(func.value)
        verdict = _origin(resolver, model) if model is not None else None
        if verdict is None:
            continue
        literal = tested[0].value
        assert isinstance(literal, cst.SimpleString)
        line = facts.pos(call).start.line
        rewrite = rw.allowed(verdict) and not rw.ignored(facts, line)
        rw.add(plan, facts, call if rw.phase == "expand" else literal, line, [literal], verdict, RULE.name, rewrite,
               EDIT if rw.phase == "expand" else "literal")


def _expanded(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan, call: cst.Call) -> None:
    """Contract of expand's shape, ``.filter(Seat.status.in_(("done",
    "agent_responded")))`` on a query of ``Seat`` alone: once its inner test
    is planned (status-orm-column), ``filter_by`` again."""
    if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return
    inner = call.args[0].value
    if id(inner) not in plan.edits or not isinstance(inner, cst.Call) or not isinstance(inner.func, cst.Attribute):
        return
    column = inner.func.value
    if inner.func.attr.value != "in_" or len(inner.args) != 1 or not isinstance(inner.args[0].value, cst.Tuple):
        return
    if not (isinstance(column, cst.Attribute) and isinstance(column.value, cst.Name)):
        return
    assert isinstance(call.func, cst.Attribute)
    if orm.query_model(call.func.value) != column.value.value:
        return
    values = [string_value(e.value) for e in inner.args[0].value.elements]
    if not all(v in rw.vocab.all_values for v in values) or len({rw.vocab.to_new(v or "") for v in values}) != 1:
        return  # more than one name stays: a membership test, not filter_by's
    plan.edits[id(call)] = EDIT


def rewrite_filter(node: cst.Call, vocab: Vocabulary, phase: str) -> cst.BaseExpression:
    """Expand: ``q.filter_by(a=x, status="done")`` -> ``q.filter_by(a=x).filter(
    Seat.status.in_(("done", "agent_responded")))``. Contract: ``q.filter(
    Seat.status == "agent_responded")`` (as status-orm-column leaves it) ->
    ``q.filter_by(status="agent_responded")``."""
    func = node.func
    assert isinstance(func, cst.Attribute)
    if phase == "contract":
        test = node.args[0].value
        if not (isinstance(test, cst.Comparison) and isinstance(test.left, cst.Attribute)
                and isinstance(test.comparisons[0].comparator, cst.SimpleString)):
            return node
        if isinstance(func.value, cst.Call) and isinstance(func.value.func, cst.Attribute) \
                and func.value.func.attr.value in orm.KEYWORD_FILTERS and func.value.args:
            # q.filter_by(a=x).filter(...): one filter_by again, the status last.
            inner = func.value
            last = inner.args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            arg = cst.Arg(test.comparisons[0].comparator, keyword=cst.Name(test.left.attr.value),
                          equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
            return inner.with_changes(args=[*inner.args[:-1], last, arg])
        arg = cst.Arg(test.comparisons[0].comparator, keyword=cst.Name(test.left.attr.value),
                      equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
        return node.with_changes(func=func.with_changes(attr=cst.Name("filter_by")), args=[arg])
    model = orm.query_model(func.value)
    fields = [a for a in node.args if a.keyword is not None and isinstance(a.value, cst.SimpleString)
              and string_value(a.value) in vocab.old]
    if model is None or len(fields) != 1:
        return node
    tested = fields[0]
    assert tested.keyword is not None
    column = cst.parse_expression(f"{model}.{tested.keyword.value}")
    assert isinstance(tested.value, cst.SimpleString)
    test = cst.Call(cst.Attribute(column, cst.Name("in_")), [cst.Arg(pair_tuple(tested.value, vocab))])
    kept = [a for a in node.args if a is not tested]
    base: cst.BaseExpression = func.value
    if kept:
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        base = node.with_changes(args=kept)
    return cst.Call(cst.Attribute(base, cst.Name("filter")), [cst.Arg(test)])


def normalize(node: ast.Call) -> None:
    """For the write check: ``q.filter(Seat.status.in_(names))`` (or ``==``)
    on a query of ``Seat`` as ``q.filter_by(status=names)``, merged into a
    ``filter_by`` before it, and every ``filter_by``'s keywords in name order,
    so a filter rewritten as planned compares equal."""
    func = node.func
    if not isinstance(func, ast.Attribute):
        return
    if func.attr == "filter" and len(node.args) == 1 and not node.keywords:
        test = node.args[0]
        column: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.In)):
            column, value = test.left, test.comparators[0]
        if isinstance(column, ast.Attribute) and isinstance(column.value, ast.Name) and value is not None:
            keyword = ast.keyword(f"{column.attr}__in", value)  # as status-orm-lookup's normalize writes `status=`
            base = func.value
            if isinstance(base, ast.Call) and isinstance(base.func, ast.Attribute) and base.func.attr == "filter_by":
                node.func, node.keywords = base.func, [*base.keywords, keyword]
                node.args = list(base.args)
            else:
                func.attr = "filter_by"
                node.args, node.keywords = [], [keyword]
    if isinstance(node.func, ast.Attribute) and node.func.attr == "filter_by":
        node.keywords = sorted(node.keywords, key=lambda k: k.arg or "")
