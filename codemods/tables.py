"""Columns of data frames and Arrow tables read by name.

pandas reads a column off its frame (``df["status"]``), which the resolver
follows as any subscript. polars, PySpark and pyarrow's datasets name it in
an expression evaluated against the frame a method is called on:
``frame.filter(pl.col("status").is_in([...]))``,
``frame.with_columns(ok=pl.when(pl.col("status") == "done")...)``. Such an
expression reads the column of that frame: ``frame["status"]``.
pyarrow.compute tests a column with functions rather than operators
(``pc.is_in(col, value_set=pa.array([...]))``, ``pc.equal(col, "done")``) and
casts it on the way (``pc.cast(table["status"], pa.string())``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the site test imports this module on the stdlib ast alone: LibCST is slow to import
    import libcst as cst

# Methods that test a column's membership in their argument: pandas'
# ``df["status"].isin([...])``, polars' ``pl.col("status").is_in([...])``.
MEMBERSHIP = frozenset({"isin", "is_in"})
# Functions that name a column of the frame the expression is evaluated on.
COLUMN_FUNCTIONS = frozenset({"col", "field"})
# Frame methods whose arguments are expressions evaluated on the frame (or on
# its groups): polars, PySpark, pyarrow datasets.
FRAME_METHODS = frozenset({
    "filter", "where", "with_columns", "with_column", "withColumn", "select", "agg", "sort", "sort_by",
    "unique", "group_by", "groupBy", "groupby", "to_table", "scanner",
})
# Modules whose frames take such expressions.
FRAME_LIBRARIES = frozenset({"polars", "pyspark", "pyarrow"})
# Methods and attributes of a data frame that a row (a dict, an object) has
# not: a name read with one of them in its function holds a frame.
FRAME_ONLY = frozenset({
    "groupby", "group_by", "pivot_table", "merge", "assign", "dropna", "fillna", "query", "sort_values",
    "reset_index", "set_index", "loc", "iloc", "to_csv", "astype", "value_counts", "with_columns", "columns",
})
# A column read in a cast keeps its values.
CASTS = frozenset({"cast", "combine_chunks", "dictionary_decode"})
# pyarrow.compute functions that test a column: name -> (operator, value keyword).
COMPUTE_TESTS = {"is_in": "value_set", "equal": "", "not_equal": ""}
# How expand writes a pyarrow.compute test of one name as a test of both:
# ``or_`` of two ``equal``, ``and_`` of two ``not_equal`` (nulls stay null, as
# in the test of one name, where ``is_in`` would make them false).
PAIRS = {"or_": "equal"}
NEGATED_PAIRS = {"and_": "not_equal"}


def _column_calls(node: cst.CSTNode, depth: int = 0) -> Iterator[cst.Call]:
    """The ``col("name")`` calls within ``node``, not within a lambda."""
    import libcst as cst

    if depth > 30 or isinstance(node, cst.Lambda):
        return
    if isinstance(node, cst.Call) and node.args and _column_name(node) is not None:
        yield node
    for child in node.children:
        yield from _column_calls(child, depth + 1)


def _column_name(node: cst.Call) -> str | None:
    import libcst as cst

    from codemods.literals import string_value

    func = node.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    if name not in COLUMN_FUNCTIONS or len(node.args) != 1 or node.args[0].keyword is not None:
        return None
    if isinstance(func, cst.Attribute) and not isinstance(func.value, cst.Name):
        return None  # pl.col / F.col / ds.field, not table.column (read below)
    return string_value(node.args[0].value)


def frame_columns(node: cst.Call, out: dict[int, cst.BaseExpression]) -> None:
    """Note ``frame["name"]`` for each ``col("name")`` in the arguments of
    ``frame.method(...)`` (the outermost frame wins: an expression's own
    ``.filter`` is not a frame's)."""
    import libcst as cst

    from codemods.literals import string_value

    func = node.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in FRAME_METHODS:
        return
    if isinstance(func.value, cst.Call) and _column_name(func.value) is not None:
        return  # pl.col("cost").filter(...): an expression, not a frame
    for arg in node.args:
        for call in _column_calls(arg.value):
            if id(call) not in out:
                label = string_value(call.args[0].value)
                index = cst.SubscriptElement(cst.Index(cst.SimpleString(repr(label))))
                out[id(call)] = cst.Subscript(func.value, [index])


def column_read(node: cst.BaseExpression, noted: dict[int, cst.BaseExpression]) -> cst.BaseExpression:
    """The plain read of a column ``node`` stands for: ``frame["status"]``
    for ``pl.col("status")`` in a frame's method, ``table["status"]`` for
    ``table.column("status")`` or ``pc.cast(table["status"], pa.string())``;
    else ``node``."""
    import libcst as cst

    from codemods.literals import string_value

    for _ in range(6):
        if id(node) in noted:
            return noted[id(node)]
        if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
            return node
        func, args = node.func, node.args
        if func.attr.value in CASTS:
            # pc.cast(col, type), a module's function; col.cast(type), a method.
            node = args[0].value if isinstance(func.value, cst.Name) and len(args) >= 2 else func.value
            continue
        if func.attr.value == "column" and len(args) == 1 and string_value(args[0].value) is not None:
            return cst.Subscript(func.value, [cst.SubscriptElement(cst.Index(args[0].value))])
        return node
    return node


def compute_test(node: cst.Call) -> tuple[cst.Call, cst.BaseCompOp, cst.BaseExpression] | None:
    """``pc.is_in(col, value_set=pa.array([...]))`` -> (``pa.array([...])``,
    in, the list); ``pc.equal(col, "done")`` -> (the call, ==, "done"): the
    node a finding is made on, the test and what the column is tested
    against; ``pc.or_(pc.equal(col, "done"), pc.equal(col, "agent_responded"))``
    (what expand writes for ``pc.equal``) -> (the call, in, a tuple of both
    names), ``pc.and_`` of two ``not_equal`` -> not in; else None. The
    column is the first argument of ``node`` (or of its first test)."""
    import libcst as cst

    pair = paired_tests(node)
    if pair is not None:
        first, second = pair
        elements = [cst.Element(first.args[1].value), cst.Element(second.args[1].value)]
        op: cst.BaseCompOp = cst.In() if node.func.attr.value in PAIRS else cst.NotIn()  # type: ignore[attr-defined]
        return node, op, cst.Tuple(elements)
    func = node.func
    if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name) or len(node.args) != 2:
        return None
    keyword = COMPUTE_TESTS.get(func.attr.value)
    if keyword is None or node.args[0].keyword is not None:
        return None
    tested = node.args[1]
    if tested.keyword is not None and tested.keyword.value != keyword:
        return None
    other = tested.value
    if func.attr.value == "is_in":
        # The edit is made on pa.array([...]), whose argument is the list.
        if not (isinstance(other, cst.Call) and len(other.args) == 1 and isinstance(other.func, cst.Attribute)
                and other.func.attr.value == "array" and isinstance(other.args[0].value, (cst.List, cst.Tuple))):
            return None
        return other, cst.In(), other.args[0].value
    return node, cst.Equal() if func.attr.value == "equal" else cst.NotEqual(), other


def paired_tests(node: cst.Call) -> tuple[cst.Call, cst.Call] | None:
    """The two tests of ``pc.or_(pc.equal(col, a), pc.equal(col, b))`` (or
    ``pc.and_`` of two ``not_equal``) of one column and two literals."""
    import libcst as cst

    from codemods.literals import string_value

    func = node.func
    if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name) or len(node.args) != 2:
        return None
    inner = PAIRS.get(func.attr.value) or NEGATED_PAIRS.get(func.attr.value)
    tests = [a.value for a in node.args]
    if inner is None or any(a.keyword is not None for a in node.args):
        return None
    first, second = tests
    if not all(isinstance(t, cst.Call) and isinstance(t.func, cst.Attribute) and t.func.attr.value == inner
               and isinstance(t.func.value, cst.Name) and t.func.value.value == func.value.value
               and len(t.args) == 2 and string_value(t.args[1].value) is not None for t in tests):
        return None
    assert isinstance(first, cst.Call) and isinstance(second, cst.Call)
    column = cst.Module(body=[]).code_for_node
    if column(first.args[0].value) != column(second.args[0].value):
        return None
    return first, second


# -- the same on the stdlib ast, for the fast check of a module's sites ----
_AST_TESTS: dict[str, type[ast.cmpop]] = {"is_in": ast.In, "equal": ast.Eq, "not_equal": ast.NotEq}


def ast_test(node: ast.Call, membership: frozenset[str]) -> ast.Compare | None:
    """A column test written as a call, as the comparison it makes:
    ``s.isin(X)`` / ``s.is_in(X)`` (``membership``), ``pc.is_in(s,
    value_set=pa.array(X))``, ``pc.equal(s, "done")``; else None."""
    func = node.func
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr in membership and len(node.args) == 1 and not node.keywords:
        return ast.Compare(func.value, [ast.In()], [node.args[0]])
    op = _AST_TESTS.get(func.attr)
    if op is None or not isinstance(func.value, ast.Name) or not node.args:
        return None
    rest = [*node.args[1:], *(k.value for k in node.keywords if k.arg in (None, "value_set"))]
    if len(rest) != 1:
        return None
    other = rest[0]
    if op is ast.In:
        if not (isinstance(other, ast.Call) and isinstance(other.func, ast.Attribute) and other.func.attr == "array"
                and len(other.args) == 1):
            return None
        other = other.args[0]
    return ast.Compare(node.args[0], [op()], [other])


def ast_column(node: ast.Call, keys: frozenset[str] | set[str]) -> ast.AST | bool:
    """What a column call reads, on the ast: True for ``pl.col("status")``
    (a status column), the column cast in ``pc.cast(table["status"], t)`` /
    ``col.cast(t)``; else False."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name in COLUMN_FUNCTIONS and len(node.args) == 1 and isinstance(node.args[0], ast.Constant) \
            and node.args[0].value in keys and (isinstance(func, ast.Name) or isinstance(func.value, ast.Name)):  # type: ignore[attr-defined]
        return True
    if name in CASTS and isinstance(func, ast.Attribute):
        return node.args[0] if isinstance(func.value, ast.Name) and len(node.args) >= 2 else func.value
    return False
