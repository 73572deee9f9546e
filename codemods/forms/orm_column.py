"""SQLAlchemy column tests of a mapped class whose status holds session statuses."""

from __future__ import annotations

import ast

import libcst as cst

from codemods.edits import contract_elements, expand_elements, pair_tuple
from codemods.literals import restyle, string_value
from codemods.provenance import NEGATED_MEMBERSHIP, Comparison, ModuleFacts, Resolver
from codemods.session_status import Plan, StatusRewriter
from migrator.manifest import Vocabulary
from migrator.rules import Example, Rule

ORDER = 12
EDIT = "orm-column"
# The column operators an expanded test is written with (SQLAlchemy 1.4 / 2.0).
_IN, _NOT_IN = "in_", "not_in"

_MODEL = (
    "from sqlalchemy import String, select, update\n"
    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
    "class Base(DeclarativeBase):\n    pass\n\n\n"
    "class Seat(Base):\n    __tablename__ = \"seat\"\n\n"
    "    key: Mapped[str] = mapped_column(String(200), primary_key=True)\n"
    "    status: Mapped[str] = mapped_column(String(20))\n\n\n"
    "def pull(db, client):\n"
    "    for entry in client.invoke(\"sessions_list\", {})[\"sessions\"]:\n"
    "        seat = db.get(Seat, entry[\"key\"]) or Seat(key=entry[\"key\"])\n"
    "        seat.status = entry[\"status\"]\n"
    "        db.add(seat)\n\n\n"
)

RULE = Rule(
    name="status-orm-column",
    summary="SQLAlchemy column tests (`Seat.status == \"killed\"`, `Seat.status.in_([...])`) of a mapped "
    "class whose status is stored from session rows.",
    why="The mapped rows take the status the gateway sends: after the rename a query for the old name "
    "alone finds none of the rows a new gateway wrote.",
    safety="The class is known by its writers: an instance whose status is set from a session source "
    "(`seat.status = entry[\"status\"]`), a constructor or an `update(Seat).values(status=...)` given one, "
    "in this module or another. A column's `==` builds SQL: expand writes `Seat.status.in_((\"killed\", "
    "\"halted\"))` (`!=`: `.not_in(...)`), not Python's `in`; contract writes the new name, and a test of "
    "one name is `==` / `!=` again. Columns of other classes (a job table of the same words) are left alone.",
    invalid=(
        Example(
            _MODEL + "def stopped(db):\n    return db.scalars(select(Seat).where(Seat.status == \"killed\")).all()\n",
            _MODEL + "def stopped(db):\n    return db.scalars(select(Seat).where(Seat.status.in_((\"killed\", "
            "\"halted\")))).all()\n",
            _MODEL + "def stopped(db):\n    return db.scalars(select(Seat).where(Seat.status == \"halted\")).all()\n",
        ),
        Example(
            _MODEL + "def troubled(db):\n    return select(Seat).where(Seat.status.not_in([\"failed\", \"timeout\"]))\n",
            _MODEL + "def troubled(db):\n    return select(Seat).where(Seat.status.not_in([\"failed\", "
            "\"interrupted\", \"timeout\", \"waiting_for_response\"]))\n",
            _MODEL + "def troubled(db):\n    return select(Seat).where(Seat.status.not_in([\"interrupted\", "
            "\"waiting_for_response\"]))\n",
        ),
    ),
    valid=(
        # The project's own job table with the same words: nothing stores a session status there.
        Example(
            "from sqlalchemy import select\n\n\n"
            "class Job(Base):\n    __tablename__ = \"job\"\n    status: Mapped[str]\n\n\n"
            "def finished(db):\n    return select(Job).where(Job.status == \"done\", Job.status.in_([\"failed\"]))\n"
        ),
        Example(_MODEL + "def named(db):\n    return select(Seat).where(Seat.key == \"done\")\n"),
    ),
)


def column_of(comparison: Comparison, facts: ModuleFacts, resolver: Resolver) -> bool:
    """Whether the subject of ``comparison`` is a mapped class's attribute,
    not an instance's (``Seat.status``, with ``Seat`` a mapped class of this
    module or one imported from the project): a column, whose tests build SQL."""
    subject = comparison.subject
    if not (isinstance(subject, cst.Attribute) and isinstance(subject.value, cst.Name)):
        return False
    name = subject.value.value
    if not name[:1].isupper() or subject.attr.value not in facts.attributes:
        return False
    if comparison.scope.owner_of(name) not in (None, facts.module_scope):
        return False
    return (name in facts.classes or name in facts.imported_names) and resolver.mapped_class(name)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for kind in ("literal", "collection"):
        for comparison, _, verdict in rw.compared(facts, resolver, kind):
            if not column_of(comparison, facts, resolver):
                continue
            if kind == "collection" and not isinstance(comparison.node, cst.Call):
                continue  # Python's `in` on a column is no SQL test: left to the other forms
            origin = resolver.origin(comparison.subject.value, comparison.scope)  # type: ignore[attr-defined]
            if origin.kind != "session" or origin.strength != "strong":
                continue
            rewrite = rw.allowed(verdict) and not rw.ignored(facts, comparison.line)
            rw.add(plan, facts, comparison.node, comparison.line, rw.literals(comparison.other), verdict, RULE.name,
                   rewrite, EDIT)


def rewrite_comparison(node: cst.Comparison, vocab: Vocabulary, phase: str) -> cst.BaseExpression:
    """``Seat.status == "killed"``: ``Seat.status.in_(("killed", "halted"))`` in
    expand, ``Seat.status == "halted"`` in contract (``!=``: ``.not_in``)."""
    target = node.comparisons[0]
    left, right = node.left, target.comparator
    if string_value(left) is not None:
        left, right = right, left
    if not isinstance(right, cst.SimpleString):
        return node
    if phase == "expand":
        method = _NOT_IN if isinstance(target.operator, cst.NotEqual) else _IN
        return cst.Call(cst.Attribute(left.with_changes(lpar=[], rpar=[]), cst.Name(method)),
                        [cst.Arg(pair_tuple(right, vocab))], lpar=node.lpar, rpar=node.rpar)
    new = restyle(right, vocab.to_new(string_value(right) or "")).with_changes(lpar=[], rpar=[])
    return node.with_changes(left=left, comparisons=[target.with_changes(comparator=new)])


def rewrite_membership(node: cst.Call, vocab: Vocabulary, phase: str) -> cst.BaseExpression:
    """``Seat.status.in_([...])``: each new name after its old one (expand), the
    new names alone (contract); a tuple of one name, the shape expand writes
    for `==`, is `==` again in contract (``.not_in``: ``!=``)."""
    func = node.func
    value = node.args[0].value
    if not isinstance(func, cst.Attribute) or not isinstance(value, (cst.Tuple, cst.List, cst.Set)):
        return node
    elements = (expand_elements if phase == "expand" else contract_elements)(value.elements, vocab)
    if elements is None:
        return node
    if phase == "contract" and isinstance(value, cst.Tuple) and len(elements) == 1 \
            and isinstance(elements[0].value, cst.SimpleString):
        op: cst.BaseCompOp = cst.NotEqual() if func.attr.value in NEGATED_MEMBERSHIP else cst.Equal()
        one = elements[0].value.with_changes(lpar=[], rpar=[])
        return cst.Comparison(func.value, [cst.ComparisonTarget(op, one)], lpar=node.lpar, rpar=node.rpar)
    return node.with_changes(args=[node.args[0].with_changes(value=value.with_changes(elements=elements))])


def normalize(node: ast.Call) -> ast.Compare | None:
    """For the write check: ``X.in_((a, b))`` as ``X in (a, b)`` (``.not_in``
    as ``not in``), so a test rewritten as planned compares equal."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in (_IN, _NOT_IN, *NEGATED_MEMBERSHIP)
            and len(node.args) == 1 and not node.keywords):
        return None
    arg = node.args[0]
    if not isinstance(arg, (ast.Tuple, ast.List, ast.Set)):
        return None
    op: ast.cmpop = ast.In() if func.attr == _IN else ast.NotIn()
    return ast.Compare(func.value, [op], [ast.Tuple(arg.elts, ast.Load())])
