"""Calls made in pieces: ``functools.partial``, and a field name its callers give.

``ended = partial(where, "status", {"failed"})`` then ``ended(rows)`` calls
``where("status", {"failed"}, rows)``: :func:`bind_partials` adds, to a
module's calls of ``where``, one call standing for each ``partial(where,
...)`` (what it binds now) and one for each call of a name bound to it (what
the later call adds), so a parameter's callers are joined over both as over
plain calls. Their positions are those of the calls they stand for.

:func:`passed_key` reads ``row.get(field)`` as a status read when ``field``
is a parameter that every call of its function in the module passes the
manifest's field name (``where(rows, "status", ...)``, or through a partial):
a generic step over rows (``where(key, values)``) reads the status there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from codemods.literals import string_value

if TYPE_CHECKING:
    from codemods.provenance import ModuleFacts, Resolver, Scope

_PARTIAL = ("functools", "partial")
# operator's getters: `itemgetter("status")(row)` is `row["status"]`.
_GETTERS = {"itemgetter": "keys", "attrgetter": "attributes"}


def _is_partial(call: cst.Call, facts: "ModuleFacts", scope: "Scope") -> bool:
    """``partial(...)`` after ``from functools import partial``, or ``functools.partial(...)``."""
    func = call.func
    if isinstance(func, cst.Name):
        imported = facts.imported_names.get(func.value)
        return imported is not None and (imported[0], imported[2]) == _PARTIAL and imported[1] == 0 \
            and scope.owner_of(func.value) is facts.module_scope
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value == _PARTIAL[1]:
        return facts.module_aliases.get(func.value.value) == _PARTIAL[0]
    return False


def _getter(call: cst.Call, facts: "ModuleFacts") -> str | None:
    """The field ``operator.itemgetter("status")`` / ``attrgetter("status")`` reads, if it is the status."""
    func = call.func
    if isinstance(func, cst.Name):
        imported = facts.imported_names.get(func.value)
        kind = _GETTERS.get(func.value) if imported is not None and imported[:1] == ("operator",) \
            and imported[2] == func.value else None
    elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
            and facts.module_aliases.get(func.value.value) == "operator":
        kind = _GETTERS.get(func.attr.value)
    else:
        kind = None
    if kind is None or len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return None
    value = string_value(call.args[0].value)
    fields = facts.keys if kind == "keys" else facts.attributes
    return value if value in fields else None


def getter_read(resolver: "Resolver", node: cst.BaseExpression, scope: "Scope") -> tuple[str, cst.BaseExpression] | None:
    """``(field, row)`` when ``node`` is ``status_of(row)`` with ``status_of =
    itemgetter("status")`` bound once in the module (or the getter called
    inline): a status read of ``row``."""
    if not isinstance(node, cst.Call) or len(node.args) != 1 or node.args[0].star or node.args[0].keyword:
        return None
    facts = resolver.facts
    func = node.func
    getter: cst.BaseExpression | None = func
    if isinstance(func, cst.Name):
        owner = scope.owner_of(func.value)
        bindings = owner.bindings[func.value] if owner is not None else []
        if owner is not facts.module_scope or len(bindings) != 1 or bindings[0].kind != "assign" \
                or bindings[0].index is not None:
            return None
        getter = bindings[0].value
    if not isinstance(getter, cst.Call):
        return None
    field = _getter(getter, facts)
    return (field, node.args[0].value) if field is not None else None


def _bound_names(scope: "Scope", call: cst.Call) -> list[str]:
    """The names of ``scope`` bound once, to exactly ``call``."""
    return [name for name, bindings in scope.bindings.items()
            if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].index is None
            and bindings[0].value is call]


def _joined(given: list[cst.Arg], later: list[cst.Arg]) -> list[cst.Arg]:
    """The arguments of ``partial(f, *given)(*later)``: positional ones in
    order, then keywords (a later keyword replaces a given one)."""
    later_keywords = {a.keyword.value for a in later if a.keyword is not None}
    positional = [a for a in (*given, *later) if a.keyword is None]
    keywords = [a for a in given if a.keyword is not None and a.keyword.value not in later_keywords]
    keywords += [a for a in later if a.keyword is not None]
    return [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in (*positional, *keywords)]


def bind_partials(facts: "ModuleFacts") -> None:
    """Add to ``facts.calls`` the calls that partials of plain names stand for."""
    for call, scope in list(facts.all_calls):
        if not call.args or not _is_partial(call, facts, scope):
            continue
        first, given = call.args[0], list(call.args[1:])
        if first.star or first.keyword is not None or not isinstance(first.value, cst.Name):
            continue
        if any(a.star for a in given):
            continue  # what it binds is not known here
        target = first.value
        # A function of another module is asked through every call made
        # here (``facts.all_calls``); one of this module, through its name.
        imported = target.value in facts.imported_names and scope.owner_of(target.value) is facts.module_scope
        standing = cst.Call(func=target, args=_joined(given, []))
        facts.calls.setdefault(target.value, []).append((standing, scope))
        facts.stand_ins[id(standing)] = call
        if imported:
            facts.all_calls.append((standing, scope))
        for alias in _bound_names(scope, call):
            for later, later_scope in list(facts.calls.get(alias, [])):
                if later_scope.owner_of(alias) is not scope or any(a.star for a in later.args):
                    continue
                applied = cst.Call(func=target, args=_joined(given, list(later.args)))
                facts.calls[target.value].append((applied, later_scope))
                facts.stand_ins[id(applied)] = later
                if imported:
                    facts.all_calls.append((applied, later_scope))


def passed_key(resolver: "Resolver", node: cst.BaseExpression, scope: "Scope") -> str | None:
    """The status field ``node`` reads when it reads a parameter-named key
    (``row.get(field)``, ``row[field]``, ``getattr(row, field)``) and every
    call of the module-level function in this module passes that field's
    name for the parameter (at least one does); else None."""
    facts = resolver.facts
    name: cst.BaseExpression | None = None
    fields = facts.keys
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        name = node.slice[0].slice.value
    elif isinstance(node, cst.Call) and node.args and not node.args[0].star and node.args[0].keyword is None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "get":
            name = node.args[0].value
        elif isinstance(func, cst.Name) and func.value == "getattr" and len(node.args) >= 2:
            name, fields = node.args[1].value, facts.attributes
    if not isinstance(name, cst.Name):
        return None
    owner = scope.owner_of(name.value)
    function = owner.node if owner is not None else None
    if owner is None or not isinstance(function, cst.FunctionDef):
        return None
    bindings = owner.bindings[name.value]
    if len(bindings) != 1 or bindings[0].kind != "param" or bindings[0].value is not None:
        return None  # rebound, or a default that no call need pass
    fname = function.name.value
    if facts.functions.get(fname) is not function or owner.parent is not facts.module_scope:
        return None
    positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
    from codemods.provenance import _argument

    found: set[str] = set()
    for call, call_scope in facts.calls.get(fname, []):
        if call_scope.owner_of(fname) is not facts.module_scope:
            continue
        argument = _argument(call, positional, name.value)
        if argument is None:
            if any(a.star for a in call.args):
                return None
            continue  # a partial that leaves it to its later call
        value = string_value(argument)
        if value is None or value not in fields:
            return None
        found.add(value)
    return next(iter(found)) if len(found) == 1 else None
