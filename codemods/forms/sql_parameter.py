"""Session statuses bound as SQL parameters: `con.execute("DELETE FROM
session_nodes WHERE status IN (?, ?)", ("failed", "timeout"))`, `SET status = ?`
and `INSERT ... (session_key, status) VALUES (?, ?)` given a literal (writers:
kept in expand, renamed in contract), or a constant
bound to placeholders generated from its length (`f"... status IN ({marks})"`,
`marks = ",".join("?" * len(DEAD))`). The literals bound to a placeholder
tested against the status column of a session table are session statuses.

A collection whose placeholders are generated is a collection tested against
the status (expand adds the new names, contract keeps them). Placeholders
written by hand fix the number of names: where the query is one plain string
literal and its parameters a tuple or list of literals in the same call,
expand writes the new names into both (`status IN (?, ?)` given `("failed",
"timeout")` becomes four placeholders and four names; `status = ?` becomes
`status IN (?, ?)`), and contract after expand drops the old ones from both;
elsewhere expand lists them for review, and contract renames them one for one."""

from __future__ import annotations

import ast
import re

import libcst as cst

from codemods.edits import contract_elements, expand_elements
from codemods.forms._common import code
from codemods.forms.writer import write
from codemods.literals import string_value
from collections.abc import Iterator

from codemods.provenance import (
    Comparison, ModuleFacts, ParameterTest, Resolver, Scope, Subject, Verdict, nodes_in, parameter_tests,
)
from codemods.session_status import Plan, StatusRewriter
from migrator.manifest import Vocabulary
from migrator.rules import Example, Rule

ORDER = 44  # before the held collections and the constants: a bound collection is one of their tests

_WRAPPERS = ("sorted", "list", "tuple", "set", "frozenset")

_BY_HAND = (
    "import sqlite3\n\n\ndef prune(db):\n    con = sqlite3.connect(db)\n"
    "    con.execute(\"DELETE FROM session_nodes WHERE status IN (?, ?)\", (\"{}\", \"{}\"))\n"
)

RULE = Rule(
    name="status-sql-parameter",
    summary="A session status bound to a `?` (or a named `:st`) that tests or writes a session table's status column.",
    why="`WHERE status IN (?, ?)` with old names misses every row a new gateway writes.",
    safety="A constant bound to placeholders generated from its length is expanded and contracted like "
    "any status collection. Placeholders written by hand fix the number of names: where the query is "
    "one plain string literal and the names a tuple or list of literals beside it, expand adds a "
    "placeholder with each new name (`= ?` becomes `IN (?, ?)`, `!= ?` `NOT IN (?, ?)`) and contract "
    "drops the old ones again; a query built elsewhere is listed for review in expand (generate the "
    "placeholders first), and contract renames its names one for one.",
    invalid=(
        # Placeholders generated from a constant make it a status collection (see status-constant),
        # from a local or a class's own collection (`self.ENDED`), a held one (status-held-collection).
        Example(
            _BY_HAND.format("failed", "timeout"),
            _BY_HAND.replace("IN (?, ?)", "IN (?, ?, ?, ?)").format(
                "failed\", \"interrupted", "timeout\", \"waiting_for_response"),
            _BY_HAND.format("interrupted", "waiting_for_response"),
        ),
        Example(
            "def lost(con):\n    return con.execute(\"SELECT session_key FROM session_windows WHERE status = ?\", "
            "(\"failed\",)).fetchall()\n",
            "def lost(con):\n    return con.execute(\"SELECT session_key FROM session_windows WHERE status IN (?, ?)\", "
            "(\"failed\", \"interrupted\")).fetchall()\n",
            "def lost(con):\n    return con.execute(\"SELECT session_key FROM session_windows WHERE status = ?\", "
            "(\"interrupted\",)).fetchall()\n",
        ),
        # A query built apart from its call: its placeholders cannot grow here.
        Example(
            "Q = \"SELECT session_key FROM session_nodes WHERE status = ?\"\n\n\n"
            "def lost(con):\n    return con.execute(Q, (\"failed\",)).fetchall()\n",
            None,
            "Q = \"SELECT session_key FROM session_nodes WHERE status = ?\"\n\n\n"
            "def lost(con):\n    return con.execute(Q, (\"interrupted\",)).fetchall()\n",
        ),
        # Written through a `?`: kept in expand, as any writer.
        Example(
            "def stop(con, key):\n    con.execute(\"UPDATE session_nodes SET status = ? WHERE session_key = ?\", "
            "(\"killed\", key))\n",
            None,
            "def stop(con, key):\n    con.execute(\"UPDATE session_nodes SET status = ? WHERE session_key = ?\", "
            "(\"halted\", key))\n",
        ),
        # Named: a list bound to an expanding placeholder is a collection (SQLAlchemy's `IN :names`).
        Example(
            "def lost(db):\n    return db.execute(text(\"SELECT session_key FROM session_nodes WHERE status IN :names\")"
            ".bindparams(bindparam(\"names\", expanding=True)), {\"names\": [\"failed\"]}).all()\n",
            "def lost(db):\n    return db.execute(text(\"SELECT session_key FROM session_nodes WHERE status IN :names\")"
            ".bindparams(bindparam(\"names\", expanding=True)), {\"names\": [\"failed\", \"interrupted\"]}).all()\n",
            "def lost(db):\n    return db.execute(text(\"SELECT session_key FROM session_nodes WHERE status IN :names\")"
            ".bindparams(bindparam(\"names\", expanding=True)), {\"names\": [\"interrupted\"]}).all()\n",
        ),
        Example(
            "def late(con):\n    return con.execute(\"SELECT session_key FROM session_windows WHERE status = :st\", "
            "{\"st\": \"timeout\"}).fetchall()\n",
            None,
            "def late(con):\n    return con.execute(\"SELECT session_key FROM session_windows WHERE status = :st\", "
            "{\"st\": \"waiting_for_response\"}).fetchall()\n",
        ),
    ),
    valid=(
        Example("def stuck(db):\n    return db.execute(text(\"SELECT id FROM jobs WHERE status = :st\"), {\"st\": \"timeout\"})\n"),
        Example("import sqlite3\n\n\ndef prune(db):\n    con = sqlite3.connect(db)\n"
                "    con.execute(\"DELETE FROM jobs WHERE status IN (?, ?)\", (\"failed\", \"timeout\"))\n"),
    ),
)


def _status_tests(facts: ModuleFacts, resolver: Resolver) -> Iterator[tuple[cst.Call, Scope, ParameterTest]]:
    """Each ``execute(sql, params)`` call and each placeholder test of a
    session table's status column its query makes."""
    columns = resolver.status_columns()
    for call, scope in list(facts.all_calls):
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "execute" and len(call.args) >= 2):
            continue
        if call.args[0].keyword is not None or call.args[1].star or call.args[1].keyword is not None:
            continue
        sql = resolver.sql_text(call.args[0].value, scope)
        if sql is None:
            continue
        for test in parameter_tests(sql):
            if test.column in facts.keys and f"{test.table}.{test.column}" in columns:
                yield call, scope, test


def bound_names(facts: ModuleFacts, resolver: Resolver) -> list[tuple[cst.Name, Scope, str]]:
    """Names bound one for one to a placeholder tested against a session
    table's status (``WHERE status = ?`` given ``(status, since)``), with
    why: where the name is a parameter, what callers pass is a status."""
    out: list[tuple[cst.Name, Scope, str]] = []
    for call, scope, test in _status_tests(facts, resolver):
        params = call.args[1].value
        if test.writes or test.generated or not isinstance(params, (cst.Tuple, cst.List)):
            continue
        if any(isinstance(e, cst.StarredElement) for e in params.elements):
            continue
        for index in test.indices:
            element = params.elements[index].value if index < len(params.elements) else None
            if isinstance(element, cst.Name):
                out.append((element, scope, f"bound to the placeholder of `{test.column} = ?` in a query of `{test.table}`"))
    return out


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    _named(rw, facts, resolver, plan)
    for call, scope, test in _status_tests(facts, resolver):
        if test.writes:
            _written(rw, facts, plan, call, test.indices, f"written to `{test.table}.{test.column}` through a `?`")
            continue
        shown = f"`{test.column} IN (...)`" if test.generated or len(test.indices) > 1 else f"`{test.column} = ?`"
        why = f"bound to the placeholders of {shown} in a query of `{test.table}`"
        _bound(rw, facts, resolver, plan, call, scope, test.indices, test.total, test.generated, why)


def _bound(
    rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan, call: cst.Call, scope: Scope,
    indices: tuple[int, ...], total: int, generated: bool, why: str,
) -> None:
    params = call.args[1].value
    line = facts.pos(call).start.line
    if isinstance(params, (cst.Tuple, cst.List)) and not generated:
        if any(isinstance(e, cst.StarredElement) for e in params.elements):
            return
        groups = _written_here(call)
        if indices and indices[0] in groups:
            group = [params.elements[i].value for i in indices]
            literals = [x for x in group if isinstance(x, cst.SimpleString)]
            both = any(rw.vocab.to_new(string_value(x) or "") in {string_value(y) for y in literals}
                       for x in literals if string_value(x) in rw.vocab.old)
            if rw.phase == "expand" or both:
                verdict = Verdict("certain", why)
                rewrite = rw.allowed(verdict) and not rw.ignored(facts, line)
                edit = f"{EDIT}:{','.join(map(str, sorted(groups)))}"
                # A new name bound to another test of the column in the same
                # query (`status = ? OR status = ?`) is accepted there already.
                column = [params.elements[i].value for t in groups.values() if t.column == groups[indices[0]].column
                          for i in t.indices]
                siblings = [x for x in column if isinstance(x, cst.SimpleString)]
                rw.add(plan, facts, call, line, literals, verdict, RULE.name, rewrite, edit, siblings=siblings)
                return
        for index in indices:
            if index >= len(params.elements):
                continue
            literal = params.elements[index].value
            if not isinstance(literal, cst.SimpleString) or string_value(literal) not in rw.vocab.old:
                continue
            verdict = Verdict("certain", why)
            if rw.phase == "expand":
                verdict = Verdict("certain", f"{why}; the placeholders are written by hand, one per name: "
                                  "generate them from the names (`\",\".join(\"?\" * len(names))`) for expand to "
                                  "add the new names, or the query would not match its parameters")
                rw.add(plan, facts, literal, line, [literal], verdict, RULE.name, False, "literal")
            else:
                rewrite = rw.allowed(verdict) and not rw.ignored(facts, line)
                rw.add(plan, facts, literal, line, [literal], verdict, RULE.name, rewrite, "literal")
        return
    # The whole parameter list is a constant (or a copy of it): every
    # placeholder of the query is its.
    name = params
    while isinstance(name, cst.Call) and isinstance(name.func, cst.Name) and name.func.value in _WRAPPERS \
            and len(name.args) == 1 and not name.args[0].star:
        name = name.args[0].value
    held = _held_attribute(name)
    if not isinstance(name, cst.Name) and held is None:
        return
    shown = code(name)
    if generated:
        # A local, a parameter or a class's attribute too (`sorted(wanted)`,
        # `self.ENDED`): tested like any collection the status is compared
        # with, where its values are known.
        if total:
            return  # other placeholders come first: which are its is not known
        mentions = _generated_from(resolver, call.args[0].value, shown, scope)
        if not mentions:
            return
        plan.sinks |= {id(m) for m in mentions}
    elif not isinstance(name, cst.Name) or resolver.module_constant(name, scope) is None \
            or tuple(range(total)) != indices:
        return
    elif rw.phase == "expand":
        plan.fixed_length[name.value] = (
            f"line {line} binds it to placeholders written by hand, one per name: generate them from the "
            f"constant (`\",\".join(\"?\" * len({name.value}))`) for expand to add the new names")
    stand_in = cst.Name(held or shown)
    resolver.bound[id(stand_in)] = Subject(f"{id(scope)}:{code(call)}", True, cst.SimpleString(repr(code(call))),
                                           scope, f"`{shown}`, {why}")
    facts.comparisons.append(Comparison(call, stand_in, cst.In(), name, scope, facts.line(call)))


# The edit of a query's placeholders written by hand together with its
# names: ``sql-placeholders:<first index of each group>``.
EDIT = "sql-placeholders"


def _written_here(call: cst.Call) -> dict[int, ParameterTest]:
    """The tests of placeholders written by hand (``IN (?, ?)``, ``= ?``)
    that a rewrite can grow and shrink with their names, by the index of
    their first placeholder: the query is one plain string literal of the
    call (no escape in it, so its text is its value), its parameters a
    tuple or list of as many elements as it has placeholders, and each
    placeholder of the test is given a string literal."""
    query, params = call.args[0].value, call.args[1].value
    if not isinstance(query, cst.SimpleString) or "\\" in query.value or "b" in query.prefix.lower():
        return {}
    if not isinstance(params, (cst.Tuple, cst.List)) or any(isinstance(e, cst.StarredElement) for e in params.elements):
        return {}
    sql = string_value(query)
    if sql is None:
        return {}
    out = {}
    for test in parameter_tests(sql):
        if test.generated or test.writes or not test.indices or test.total != len(params.elements):
            continue
        if all(isinstance(params.elements[i].value, cst.SimpleString) and string_value(params.elements[i].value)
               is not None for i in test.indices):
            out[test.indices[0]] = test
    return out


def rewrite_call(node: cst.Call, edit: str, vocab: Vocabulary, phase: str) -> cst.Call:
    """The placeholders and the names of each planned test together: expand
    adds each missing new name after its old one and a placeholder for it;
    contract drops an old name whose new one is there (and its placeholder),
    and renames the others."""
    firsts = {int(i) for i in edit.split(":", 1)[1].split(",")}
    query, params = node.args[0].value, node.args[1].value
    assert isinstance(query, cst.SimpleString) and isinstance(params, (cst.Tuple, cst.List))
    sql = string_value(query)
    assert sql is not None
    elements = list(params.elements)
    tests = sorted((t for first, t in _written_here(node).items() if first in firsts), key=lambda t: -t.indices[0])
    for test in tests:
        start, end = test.indices[0], test.indices[-1] + 1
        grown = (expand_elements if phase == "expand" else contract_elements)(elements[start:end], vocab)
        if grown is None:
            continue
        elements[start:end] = grown
        sql = sql[:test.span[0]] + _placeholders(sql, test, len(grown)) + sql[test.span[1]:]
    if isinstance(params, cst.Tuple) and len(elements) == 1 and elements[0].comma is cst.MaybeSentinel.DEFAULT:
        elements[0] = elements[0].with_changes(comma=cst.Comma())  # ("agent_responded",): still a tuple
    elif len(params.elements) == 1 and len(elements) > 1 and isinstance(elements[-1].comma, cst.Comma) \
            and isinstance(elements[-1].comma.whitespace_after, cst.SimpleWhitespace):
        # ("failed",) grown to ("failed", "interrupted"): the one-name tuple's
        # comma is not needed (one before a line break is the code's style).
        elements[-1] = elements[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    prefix, quote = query.prefix, query.quote
    new_query = query.with_changes(value=f"{prefix}{quote}{sql}{quote}")
    return node.with_changes(args=[node.args[0].with_changes(value=new_query),
                                   node.args[1].with_changes(value=params.with_changes(elements=elements)),
                                   *node.args[2:]])


def _placeholders(sql: str, test: ParameterTest, count: int) -> str:
    """``IN (?, ?, ?)`` for ``count`` names, in the spelling of the test it
    replaces: its keywords' case, its separator, ``NOT`` for ``NOT IN`` and
    for ``!=`` / ``<>``; for one name ``= ?`` (``!= ?``), as contract
    leaves what expand made of a ``= ?``."""
    written = sql[test.span[0]:test.span[1]]
    negated = _negated(written)
    if count == 1:
        return "!= ?" if negated else "= ?"
    listed = re.search(r"\(\s*(.*?)\s*\)", written)
    separator = ", "
    if listed is not None and "," in listed.group(1):
        separator = re.search(r"\?(\s*,\s*)\?", listed.group(1)).group(1)  # type: ignore[union-attr]
    words = re.findall(r"[A-Za-z]+", written) or re.findall(r"\b(?:select|update|delete|where|from)\b", sql, re.I)
    upper = not words or words[0].isupper()
    keyword = ("NOT IN" if negated else "IN") if upper else ("not in" if negated else "in")
    return f"{keyword} ({separator.join('?' * count)})"


def _negated(written: str) -> bool:
    """Whether a test's operator (``NOT IN (...)``, ``!= ?``, ``<> ?``) excludes its names."""
    return re.match(r"(?i)not\b|!=|<>", written) is not None


def normalize(node: ast.Call) -> None:
    """For the write check: the placeholders of each test of a query given
    to ``execute`` in one shape (``= ?``, ``IN (?, ?)`` -> ``IN (?)``), as
    its names are taken as a set: expand and contract change their number."""
    if not (isinstance(node.func, ast.Attribute) and node.func.attr == "execute" and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return
    sql = node.args[0].value
    for test in sorted(parameter_tests(sql), key=lambda t: -t.span[0]):
        if test.span != (0, 0) and not test.writes:
            negated = _negated(sql[test.span[0]:test.span[1]])
            sql = sql[:test.span[0]] + ("NOT IN (?)" if negated else "IN (?)") + sql[test.span[1]:]
    node.args[0] = ast.Constant(sql)


def _written(
    rw: StatusRewriter, facts: ModuleFacts, plan: Plan, call: cst.Call, indices: tuple[int, ...], why: str
) -> None:
    """``SET status = ?`` / ``INSERT ... VALUES (?, ?)`` given a literal: a
    writer, kept in expand while an old gateway may read the row, renamed in contract."""
    params = call.args[1].value
    if not isinstance(params, (cst.Tuple, cst.List)) or any(isinstance(e, cst.StarredElement) for e in params.elements):
        return
    for index in indices:
        literal = params.elements[index].value if index < len(params.elements) else None
        if isinstance(literal, cst.SimpleString) and string_value(literal) in rw.vocab.old:
            write(rw, facts, plan, literal, Verdict("certain", why), RULE.name)


def _held_attribute(node: cst.BaseExpression) -> str | None:
    """``ENDED`` of ``self.ENDED`` / ``cls.ENDED``: a collection an instance
    or its class holds, bound whole as a query's parameters."""
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in ("self", "cls"):
        return node.attr.value
    return None


def _generated_from(
    resolver: Resolver, query: cst.BaseExpression, name: str, scope: Scope
) -> list[cst.BaseExpression]:
    """The mentions of ``name`` (a name, or ``self.ATTR``) the placeholders
    of an f-string query are generated from (``{",".join("?" * len(DEAD))}``,
    ``{", ".join("?" for _ in self.ENDED)}``, or a name bound once to that);
    empty when they are not generated from it."""
    expressions: list[cst.BaseExpression] = []
    if isinstance(query, cst.Name):
        bindings = scope.lookup(query.value)
        if len(bindings) == 1 and bindings[0].value is not None:
            query = bindings[0].value
    if isinstance(query, cst.FormattedString):
        expressions = [p.expression for p in query.parts if isinstance(p, cst.FormattedStringExpression)]
    found: list[cst.BaseExpression] = []
    for expression in expressions:
        if isinstance(expression, cst.Name):
            bindings = scope.lookup(expression.value)
            if len(bindings) == 1 and bindings[0].value is not None:
                expression = bindings[0].value
        if isinstance(expression, cst.Call) and isinstance(expression.func, cst.Attribute) \
                and expression.func.attr.value == "join":
            if "." in name:
                found += [a for a in nodes_in(expression, cst.Attribute) if code(a) == name]
            else:
                found += [n for n in nodes_in(expression, cst.Name) if n.value == name]
    return found


# Named placeholders (`:st`, sqlite3's and SQLAlchemy's `text()`; `%(st)s`,
# the pyformat drivers'): a status column tested against one
# (`status = :st`), a list of them (`status IN (:a, :b)`) or an expanding one
# (`status IN :names`, a list bound to one name).
_NAME = r"(?::(\w+)|%\((\w+)\)s)"
_NAMED_TEST = re.compile(
    r"(?i)(?:\b\w+\.)?\b(\w+)[\"`\]]?\s*(?:(?:not\s+)?in\s*(?:\(([^()]*)\)|" + _NAME + r")|(?:==?|!=|<>)\s*" + _NAME + r")")
_ONE_NAME = re.compile(r"\s*" + _NAME + r"\s*$")


def named_tests(sql: str) -> list[tuple[str, str, tuple[str, ...], bool, bool]]:
    """``(table, column, placeholder names, expanding, writes)`` for each
    column a query of one table tests (or sets: ``SET status = :st``)
    against named placeholders."""
    from codemods.provenance import _SET, _TABLE

    table = _TABLE.search(sql)
    if table is None or re.search(r"(?i)\bjoin\b", sql):
        return []
    setting = _SET.search(sql) if re.match(r"(?is)\s*update\b", sql) else None
    out: list[tuple[str, str, tuple[str, ...], bool, bool]] = []
    for found in _NAMED_TEST.finditer(sql):
        column, listed = found.group(1), found.group(2)
        expanding = found.group(3) or found.group(4)
        single = found.group(5) or found.group(6)
        if single:
            writes = setting is not None and setting.start(1) <= found.start() < setting.end(1)
            out.append((table.group(1), column, (single,), False, writes))
        elif expanding:
            out.append((table.group(1), column, (expanding,), True, False))
        elif listed:
            names = [_ONE_NAME.match(p) for p in listed.split(",")]
            if all(names):
                out.append((table.group(1), column, tuple(m.group(1) or m.group(2) for m in names if m), False, False))
    return out


def _named_params(call: cst.Call) -> dict[str, cst.BaseExpression] | None:
    """The values a call binds by name: a dict literal after the query
    (``execute(text(sql), {"st": "timeout"})``, ``params={...}``), or the
    keywords of ``text(sql).bindparams(st="timeout")``."""
    held: cst.BaseExpression | None = None
    if len(call.args) >= 2 and call.args[1].keyword is None and not call.args[1].star:
        held = call.args[1].value
    for arg in call.args[1:]:
        if arg.keyword is not None and arg.keyword.value == "params":
            held = arg.value
    out: dict[str, cst.BaseExpression] = {}
    query = call.args[0].value
    if isinstance(query, cst.Call) and isinstance(query.func, cst.Attribute) and query.func.attr.value == "bindparams":
        out.update((a.keyword.value, a.value) for a in query.args if a.keyword is not None)
    if isinstance(held, cst.Dict):
        for element in held.elements:
            key = string_value(element.key) if isinstance(element, cst.DictElement) else None
            if key is None or not isinstance(element, cst.DictElement):
                return None  # `**rest` or a computed key: which value is which is not known
            out[key] = element.value
    return out or None


def _named(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    """Literals bound by name to placeholders that test or set a session
    table's status column. One per placeholder fixes the number of names
    (expand lists them, contract renames them); a collection bound to an
    expanding placeholder is tested like any other."""
    columns = resolver.status_columns()
    for call, scope in facts.all_calls:
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "execute" and call.args):
            continue
        if call.args[0].keyword is not None or call.args[0].star:
            continue
        sql = resolver.sql_text(call.args[0].value, scope)
        tests = named_tests(sql) if sql is not None and (":" in sql or "%(" in sql) else []
        tests = [t for t in tests if t[1] in facts.keys and f"{t[0]}.{t[1]}" in columns]
        params = _named_params(call) if tests else None
        if params is None:
            continue
        line = facts.pos(call).start.line
        for table, column, names, expanding, writes in tests:
            values = [params.get(n) for n in names]
            if writes:
                for value in values:
                    if isinstance(value, cst.SimpleString) and string_value(value) in rw.vocab.old:
                        write(rw, facts, plan, value, Verdict("certain", f"written to `{table}.{column}` through "
                                                              f"`:{names[0]}`"), RULE.name)
                continue
            shown = f"`{column} IN :{names[0]}`" if expanding else (
                f"`{column} = :{names[0]}`" if len(names) == 1 else f"`{column} IN (...)`")
            why = f"bound to {shown} in a query of `{table}`"
            if expanding:
                held = values[0]
                if isinstance(held, (cst.List, cst.Tuple, cst.Set)):
                    literals = rw.literals(held)
                    if {string_value(x) for x in literals} & rw.vocab.old:
                        verdict = Verdict("certain", why)
                        rewrite = rw.allowed(verdict) and not rw.ignored(facts, line)
                        rw.add(plan, facts, held, line, literals, verdict, RULE.name, rewrite, "collection")
                continue
            for value in values:
                if not isinstance(value, cst.SimpleString) or string_value(value) not in rw.vocab.old:
                    continue
                if rw.phase == "expand":
                    verdict = Verdict("certain", f"{why}; one placeholder per name: bind a list to an expanding "
                                      f"one (`{column} IN :{names[0]}`, `bindparam(\"{names[0]}\", expanding=True)`) "
                                      "for expand to add the new names")
                    rw.add(plan, facts, value, line, [value], verdict, RULE.name, False, "literal")
                else:
                    verdict = Verdict("certain", why)
                    rewrite = rw.allowed(verdict) and not rw.ignored(facts, line)
                    rw.add(plan, facts, value, line, [value], verdict, RULE.name, rewrite, "literal")
