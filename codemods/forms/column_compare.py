"""`==` between a column of a data frame (pandas, polars, PySpark) or an
Arrow table and an old name: element by element, so expand writes the
column's own test of both names."""

from __future__ import annotations

import ast

import libcst as cst

from codemods import tables
from codemods.edits import pair_tuple
from codemods.forms._common import code as _code
from codemods.literals import restyle, string_value
from codemods.forms.orm_column import rewrite_membership
from codemods.provenance import TABLES, Binding, Comparison, ModuleFacts, Resolver, Verdict, nodes_in
from codemods.session_status import Plan, StatusRewriter
from migrator.manifest import Vocabulary
from migrator.rules import Example, Rule

ORDER = 11  # before status-compare and status-membership, which leave columns to it
EDIT = "table-column"
# A column's membership method, by the library its frame comes from.
METHODS = {"pandas": "isin", "polars": "is_in", "pyspark": "isin"}

_FRAME = (
    "import json\n\nimport polars as pl\n\n"
    "def entries(path):\n"
    "    with open(path) as fh:  # agents/<id>/sessions/sessions.json\n"
    "        store = json.load(fh)\n"
    "    return pl.DataFrame([{\"key\": k, **v} for k, v in store.items()])\n\n"
    "def report(frame: pl.DataFrame) -> pl.DataFrame:\n"
)
_CALL = "\n\nprint(report(entries(\"agents/main/sessions/sessions.json\")))\n"

RULE = Rule(
    name="status-column-compare",
    summary="`==` between a table's status column (pandas, polars, PySpark, pyarrow.compute) and an old name.",
    why="A column of session rows takes the status the gateway sends: after the rename a filter "
    "for the old name alone drops the rows a new gateway wrote.",
    safety="A column's `==` is element by element and `in` would test the table's index, so expand "
    "writes the column's own membership test (`.isin((old, new))` for pandas and PySpark, "
    "`.is_in((old, new))` for polars), which keeps nulls as `==` does, and `pc.equal(col, old)` "
    "as `pc.or_(pc.equal(col, old), pc.equal(col, new))` (`pc.is_in` would turn nulls false); "
    "a frame's `!=` is listed for review in expand. Contract renames the name, and turns a "
    "membership of one name back into `==` (the pair back into one `pc.equal`).",
    invalid=(
        Example(
            _FRAME + "    return frame.filter(pl.col(\"status\") == \"done\")" + _CALL,
            _FRAME + "    return frame.filter(pl.col(\"status\").is_in((\"done\", \"agent_responded\")))" + _CALL,
            _FRAME + "    return frame.filter(pl.col(\"status\") == \"agent_responded\")" + _CALL,
        ),
        Example(
            "import pandas as pd\n\n"
            "df = pd.DataFrame(client.invoke(\"sessions_list\", {})[\"sessions\"])\n"
            "stopped = df[df[\"status\"] == \"killed\"]\n",
            "import pandas as pd\n\n"
            "df = pd.DataFrame(client.invoke(\"sessions_list\", {})[\"sessions\"])\n"
            "stopped = df[df[\"status\"].isin((\"killed\", \"halted\"))]\n",
            "import pandas as pd\n\n"
            "df = pd.DataFrame(client.invoke(\"sessions_list\", {})[\"sessions\"])\n"
            "stopped = df[df[\"status\"] == \"halted\"]\n",
        ),
        Example(
            "import pyarrow as pa\nimport pyarrow.compute as pc\n\n"
            "table = pa.Table.from_pylist(client.invoke(\"sessions_list\", {})[\"sessions\"])\n"
            "stopped = table.filter(pc.equal(table[\"status\"], \"killed\"))\n",
            "import pyarrow as pa\nimport pyarrow.compute as pc\n\n"
            "table = pa.Table.from_pylist(client.invoke(\"sessions_list\", {})[\"sessions\"])\n"
            "stopped = table.filter(pc.or_(pc.equal(table[\"status\"], \"killed\"), pc.equal(table[\"status\"], \"halted\")))\n",
            "import pyarrow as pa\nimport pyarrow.compute as pc\n\n"
            "table = pa.Table.from_pylist(client.invoke(\"sessions_list\", {})[\"sessions\"])\n"
            "stopped = table.filter(pc.equal(table[\"status\"], \"halted\"))\n",
        ),
    ),
    valid=(
        # The status column of a frame of job queue rows is the queue's.
        Example(
            "import polars as pl\n\nimport rq\n\n"
            "jobs = pl.DataFrame([{\"id\": j.id, \"status\": j.get_status()} for j in rq.Queue().jobs])\n"
            "finished = jobs.filter(pl.col(\"status\") == \"done\")\n"
        ),
        # Another column of a frame of session rows: a subagent run's outcome.
        Example(_FRAME + "    return frame.filter(pl.col(\"outcome\") == \"timeout\")" + _CALL),
    ),
)


def _library(name: str, facts: ModuleFacts) -> str:
    """The top-level module a dotted name is imported from (``pl.col`` ->
    ``polars``, ``DataFrame`` after ``from pandas import DataFrame``)."""
    root = name.split(".", 1)[0]
    module = facts.module_aliases.get(root) or facts.imported_names.get(root, ("",))[0]
    return module.split(".", 1)[0]


def library_of(comparison: Comparison, facts: ModuleFacts) -> str | None:
    """The library of the table whose column ``comparison`` tests (``""``
    when it is not known), or None when its subject is no column."""
    if isinstance(comparison.node, cst.Call) and tables.compute_test(comparison.node) is not None:
        return "pyarrow"
    subject = comparison.subject
    noted = facts.frame_columns.get(id(subject))
    if noted is not None:
        assert isinstance(subject, cst.Call)
        return _library(cst.helpers.get_full_name_for_node(subject.func) or "", facts)
    if tables.column_read(subject, facts.frame_columns) is not subject:
        return ""  # table.column("status"), pc.cast(...): pyarrow's, tested by its functions
    base = subject
    while isinstance(base, (cst.Subscript, cst.Attribute)):
        base = base.value
    if not isinstance(base, cst.Name) or base is subject:
        return None
    # Only `df["status"]` / `df.status` of a frame bound here is surely a
    # column (not `df.iloc[0]["status"]`, nor a row a loop takes from it):
    # of any other read the library's test is not known.
    direct = isinstance(subject, (cst.Subscript, cst.Attribute)) and subject.value is base
    bindings = comparison.scope.lookup(base.value)
    for binding in bindings:
        value = binding.value
        for _ in range(12):  # pd.DataFrame.from_dict(store).rename_axis("key").reset_index()
            if isinstance(value, cst.Call):
                name = cst.helpers.get_full_name_for_node(value.func) or ""
                if name.rsplit(".", 1)[-1] in TABLES:
                    return _library(name, facts) if direct and binding.kind in ("assign", "walrus") else ""
                value = value.func
            elif isinstance(value, (cst.Attribute, cst.Subscript)):
                value = value.value
            else:
                break
    return _passed_frame(comparison, base, bindings, facts) if direct else None


def _passed_frame(comparison: Comparison, base: cst.Name, bindings: list[Binding], facts: ModuleFacts) -> str | None:
    """For ``df["status"]`` of a parameter (``df = df.copy()`` after it at
    most) in a module that imports a frame library: that library when the
    function uses ``df`` as a frame (``df[df.status == "killed"]``,
    ``df.groupby(...)``), else ``""`` (perhaps a column: `in (...)` cannot
    test one), or None when it holds a row."""
    libraries = sorted({_library(alias, facts) for alias in facts.module_aliases} & set(METHODS))
    if not libraries or not any(b.kind == "param" for b in bindings) or not all(
            b.kind == "param" or _method_of(b.value, base.value) for b in bindings):
        return None
    function = comparison.scope.node
    masked = any(
        isinstance(node.value, cst.Name) and node.value.value == base.value
        and any(comparison.node in nodes_in(element, type(comparison.node)) for element in node.slice)
        for node in nodes_in(function, cst.Subscript)
    )
    framed = masked or any(
        isinstance(node.value, cst.Name) and node.value.value == base.value and node.attr.value in tables.FRAME_ONLY
        for node in nodes_in(function, cst.Attribute)
    )
    return libraries[0] if framed and len(libraries) == 1 else ""


def _method_of(value: cst.BaseExpression | None, name: str) -> bool:
    """``df.copy()``, ``df.dropna(...)``: a value made from ``name`` by one of its methods."""
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
        and isinstance(value.func.value, cst.Name) and value.func.value.value == name


def claims(comparison: Comparison, facts: ModuleFacts) -> bool:
    """Whether this form plans ``comparison``: a column's `==` / `!=`, or the
    membership of a tuple (the shape expand writes for `==`) a column's
    method tests."""
    if isinstance(comparison.node, cst.Comparison):
        return isinstance(comparison.op, (cst.Equal, cst.NotEqual)) and library_of(comparison, facts) is not None
    if isinstance(comparison.node, cst.Call) and tables.compute_test(comparison.node) is not None:
        # pc.equal(col, "done"), or the pair expand writes for it.
        return isinstance(comparison.op, (cst.Equal, cst.NotEqual)) or tables.paired_tests(comparison.node) is not None
    func = comparison.node.func if isinstance(comparison.node, cst.Call) else None
    return (isinstance(func, cst.Attribute) and func.attr.value in tables.MEMBERSHIP
            and isinstance(comparison.other, cst.Tuple) and library_of(comparison, facts) is not None)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for kind in ("literal", "collection"):
        for comparison, _, verdict in rw.compared(facts, resolver, kind):
            if not claims(comparison, facts):
                continue
            rewrite = rw.allowed(verdict) and not rw.ignored(facts, comparison.line)
            literals = rw.literals(comparison.other)
            node: cst.CSTNode = comparison.node
            method: str | None = None
            if kind == "collection":
                edit = EDIT  # `.is_in(("done", "agent_responded"))`: `==` again in contract
            elif isinstance(node, cst.Call):
                # pc.equal(column, "done"): a pair of tests in expand, its name renamed in contract.
                edit = f"{EDIT}:pair" if rw.phase == "expand" else "literal"
                node = node if rw.phase == "expand" else comparison.other
            else:
                library = library_of(comparison, facts) or ""
                method = METHODS.get(library)
                edit = f"{EDIT}:{method}" if rw.phase == "expand" else "compare"
            if rw.phase == "expand" and kind == "collection" and isinstance(node, cst.Call) \
                    and tables.paired_tests(node) is not None:
                rewrite = False  # a pair of two names written by hand: what expand would add is not known
            elif rw.phase == "expand" and edit not in (EDIT, f"{EDIT}:pair") and (
                    method is None or isinstance(comparison.op, cst.NotEqual)):
                verdict = Verdict(verdict.confidence, f"{verdict.why}; a column of a table: accepting both names "
                                                      f"takes its membership test, left for review in expand")
                rewrite = False
            rw.add(plan, facts, node, comparison.line, literals, verdict, RULE.name, rewrite, edit)


def rewrite_comparison(node: cst.Comparison, method: str, vocab: Vocabulary) -> cst.BaseExpression:
    """``col == "done"`` -> ``col.<method>(("done", "agent_responded"))`` (expand)."""
    target = node.comparisons[0]
    left, right = node.left, target.comparator
    if isinstance(left, cst.SimpleString):
        left, right = right, left
    if not isinstance(right, cst.SimpleString):
        return node
    return cst.Call(cst.Attribute(left.with_changes(lpar=[], rpar=[]), cst.Name(method)),
                    [cst.Arg(pair_tuple(right, vocab))], lpar=node.lpar, rpar=node.rpar)


def rewrite_call(node: cst.Call, edit: str, vocab: Vocabulary, phase: str) -> cst.BaseExpression:
    """``pc.equal(col, "done")`` -> ``pc.or_(pc.equal(col, "done"),
    pc.equal(col, "agent_responded"))`` in expand (``not_equal``: ``and_``),
    and that pair -> ``pc.equal(col, "agent_responded")`` in contract;
    ``col.is_in(("done", "agent_responded"))``: the status-orm-column form's
    edit of a column's membership, in one home."""
    func = node.func
    if edit == f"{EDIT}:pair":
        literal = node.args[1].value
        if not isinstance(func, cst.Attribute) or not isinstance(literal, cst.SimpleString):
            return node
        new = node.with_changes(args=[node.args[0], node.args[1].with_changes(
            value=restyle(literal, vocab.to_new(string_value(literal) or "")))])
        joined = next(k for k, v in {**tables.PAIRS, **tables.NEGATED_PAIRS}.items() if v == func.attr.value)
        return cst.Call(cst.Attribute(func.value, cst.Name(joined)),
                        [cst.Arg(node, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), cst.Arg(new)],
                        lpar=node.lpar, rpar=node.rpar)
    pair = tables.paired_tests(node)
    if pair is not None:
        renamed = []
        for test in pair:
            literal = test.args[1].value
            assert isinstance(literal, cst.SimpleString)
            value = string_value(literal) or ""
            name = vocab.to_new(value) if phase == "contract" and value in vocab.old else value
            renamed.append(test.with_changes(args=[test.args[0], test.args[1].with_changes(
                value=restyle(literal, name))]))
        if _code(renamed[0]) == _code(renamed[1]):
            return renamed[0].with_changes(lpar=node.lpar, rpar=node.rpar)
        return node.with_changes(args=[a.with_changes(value=t) for a, t in zip(node.args, renamed)])
    return rewrite_membership(node, vocab, phase)


def collapse(node: ast.Call) -> ast.expr | None:
    """For the write check: ``pc.or_(T, T)`` (``and_``) of one test twice is ``T``."""
    func = node.func
    if isinstance(func, ast.Attribute) and (func.attr in tables.PAIRS or func.attr in tables.NEGATED_PAIRS) \
            and len(node.args) == 2 and not node.keywords and ast.dump(node.args[0]) == ast.dump(node.args[1]):
        return node.args[0]
    return None


def normalize(node: ast.Call) -> ast.Compare | None:
    """For the write check: ``X.isin((a, b))`` / ``X.is_in((a, b))`` as ``X in (a, b)``."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in tables.MEMBERSHIP and len(node.args) == 1
            and not node.keywords and isinstance(node.args[0], ast.Tuple)):
        return None
    return ast.Compare(func.value, [ast.In()], [ast.Tuple(node.args[0].elts, ast.Load())])
