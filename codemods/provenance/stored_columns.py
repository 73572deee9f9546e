"""A project's own table column that stores the status of session rows.

``INSERT INTO retry_jobs (session_key, session_status, ...) VALUES (?, ?, ...)``
given the parameter ``session_status`` of ``Store.enqueue``, where every call
of ``enqueue`` in the project passes a status read of a session row
(``store.enqueue(row["key"], row["status"], ...)``): ``retry_jobs.session_status``
holds session statuses. A query of that column bound to a parameter
(``SELECT ... WHERE session_status = ?`` given ``(session_status,)`` in
``Store.by_session_status``) then compares a session status with what the
callers pass: one value, as :mod:`codemods.forms.passed_value` rewrites it
(``store.by_session_status("timeout")``), in this module or, through the
project's exports, in another (:data:`codemods.words.VALUE_EXPORT`)."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from codemods.provenance import ModuleFacts, ParameterTest, Resolver, Scope, Verdict, parameter_tests
from codemods.provenance.known import select
from codemods.words import VALUE_EXPORT


def _bound(facts: ModuleFacts, resolver: Resolver) -> Iterator[tuple[cst.Name, Scope, ParameterTest]]:
    """Each name bound one for one to a placeholder of a query's column
    (``execute(sql, (a, b))``), with the column's test."""
    for call, scope in facts.all_calls:
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "execute" and len(call.args) >= 2):
            continue
        if call.args[0].keyword is not None or call.args[1].star or call.args[1].keyword is not None:
            continue
        params = call.args[1].value
        if not isinstance(params, (cst.Tuple, cst.List)) or any(isinstance(e, cst.StarredElement) for e in params.elements):
            continue
        sql = resolver.sql_text(call.args[0].value, scope)
        if sql is None or "?" not in sql:
            continue
        for test in parameter_tests(sql):
            if test.generated or len(test.indices) != 1 or test.indices[0] >= len(params.elements):
                continue
            element = params.elements[test.indices[0]].value
            if isinstance(element, cst.Name):
                yield element, scope, test


def _parameter(name: cst.Name, scope: Scope) -> cst.FunctionDef | None:
    """The function ``name`` is a parameter of, bound nowhere else in it."""
    owner = scope.owner_of(name.value)
    bindings = owner.bindings.get(name.value, []) if owner is not None else []
    if owner is None or not isinstance(owner.node, cst.FunctionDef) or len(bindings) != 1 or bindings[0].kind != "param":
        return None
    return owner.node


def stored_columns(facts: ModuleFacts, resolver: Resolver) -> dict[str, str]:
    """``table.column`` -> why, for each column this module writes from a
    parameter every caller passes a session status read."""
    out: dict[str, str] = {}
    for name, scope, test in _bound(facts, resolver):
        if not test.writes or _parameter(name, scope) is None:
            continue
        origin = resolver._status_passed(name.value, scope.owner_of(name.value) or scope)
        if origin.kind == "session" and origin.strength == "strong":
            out.setdefault(f"{test.table}.{test.column}", f"`{test.table}.{test.column}` is written from {origin.why}")
    return out


def compared_methods(facts: ModuleFacts, resolver: Resolver) -> list[tuple[str, cst.FunctionDef, str, Verdict]]:
    """``(qualified name, function, parameter, verdict)`` of each parameter
    bound to a test of a stored session-status column (``WHERE
    session_status = ?``): a function's or a method's."""
    columns = stored_columns(facts, resolver)
    if not columns:
        return []
    out: list[tuple[str, cst.FunctionDef, str, Verdict]] = []
    for name, scope, test in _bound(facts, resolver):
        why = columns.get(f"{test.table}.{test.column}")
        function = _parameter(name, scope)
        if test.writes or why is None or function is None:
            continue
        cls = facts.method_class.get(id(function))
        qualified = function.name.value if cls is None else f"{cls}.{function.name.value}"
        if facts.functions.get(qualified) is not function:
            continue
        verdict = Verdict("certain", f"bound to the placeholder of `{test.column} = ?` in a query of "
                                     f"`{test.table}`, where {why}")
        out.append((qualified, function, name.value, verdict))
    return out


def _positional(function: cst.FunctionDef, method: bool) -> list[str]:
    names = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
    return names[1:] if method else names


def value_exports(facts: ModuleFacts, resolver: Resolver) -> dict[str, str]:
    """``module.Class.method#index`` (and ``#name``) of each such parameter,
    for the modules that call it (see :data:`VALUE_EXPORT`)."""
    out: dict[str, str] = {}
    where = resolver.tree.display or resolver.tree.module
    for qualified, function, param, verdict in compared_methods(facts, resolver):
        positional = _positional(function, "." in qualified)
        name = f"{resolver.tree.module}.{qualified}".lstrip(".")
        line = facts.pos(function).start.line
        why = f"{VALUE_EXPORT}{verdict.confidence}: `{qualified}()` ({where}:{line}) compares its `{param}`: {verdict.why}"
        for key in [param] + ([str(positional.index(param))] if param in positional else []):
            out.setdefault(f"{name}#{key}", why)
    return out


def local_arguments(facts: ModuleFacts, resolver: Resolver) -> Iterator[tuple[cst.BaseExpression, Verdict]]:
    """What this module's own calls pass such a parameter, with its verdict."""
    from codemods.provenance import _argument

    for qualified, function, param, verdict in compared_methods(facts, resolver):
        method = "." in qualified
        calls = resolver._method_calls(qualified) if method else facts.calls_of(qualified)
        shown = Verdict(verdict.confidence, f"passed to `{qualified}()`, which compares it: {verdict.why}")
        for call, _ in calls:
            argument = _argument(call, _positional(function, method), param)
            if argument is not None:
                yield argument, shown


def passed_to_methods(facts: ModuleFacts, resolver: Resolver) -> Iterator[tuple[cst.BaseExpression, Verdict]]:
    """What this module's calls of other modules' such methods pass them."""
    methods = {k.partition("#")[0].rsplit(".", 1)[-1] for k in select(resolver.tree.exports, _compared_parameter)}
    for call, scope in facts.all_calls if methods else ():
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in methods:
            yield from method_arguments(resolver, call, scope)


def method_arguments(resolver: Resolver, call: cst.Call, scope: Scope) -> list[tuple[cst.BaseExpression, Verdict]]:
    """The arguments of a call of a method on an instance of a class
    imported from another module (``store.by_session_status("timeout")``,
    ``store: Store``) that the project exports as compared with a session
    status, with that verdict."""
    from migrator.engines.python import resolve_import

    func = call.func
    if not isinstance(func, cst.Attribute):
        return []
    cls = resolver.instance_class(func.value, scope)
    facts = resolver.facts
    if cls is None or "." in cls or cls in facts.classes or cls not in facts.imported_names:
        return []
    module, level, original = facts.imported_names[cls]
    defining = resolve_import(resolver.tree.module, resolver.tree.is_package, module, level)
    full = f"{defining}.{original}.{func.attr.value}".lstrip(".")
    out: list[tuple[cst.BaseExpression, Verdict]] = []
    for index, arg in enumerate(call.args):
        if arg.star:
            break
        key = arg.keyword.value if arg.keyword is not None else str(index)
        why = resolver.tree.exports.get(f"{full}#{key}")
        if why is None or not why.startswith(VALUE_EXPORT):
            continue
        said, _, reason = why[len(VALUE_EXPORT):].partition(": ")
        if said != "certain":
            continue
        line = facts.pos(call).start.line
        out.append((arg.value, Verdict("certain", f"passed to `{func.attr.value}()` at line {line}: {reason}")))
    return out


def _compared_parameter(key: str, why: str) -> bool:
    """An export of a method's parameter compared with a session status (``module.Class.method#1``)."""
    return "#" in key and why.startswith(VALUE_EXPORT)
