"""A key-value store's copy of rows: what is read under a key is what the
module writes under the same key of the same store.

A worker keeps the rows it polls in Redis hashes, ``r.hset(ROW_KEY.format(
key=row["key"]), mapping={"status": row.get("status"), ...})``, and reads
them back, ``r.hgetall(ROW_KEY.format(key=key))``: the rows read are copies
of the session rows written. The key is known by its template (a module
constant, a string, the text of an f-string) and the store by how it is
named (``r``, ``self.redis``); the manifest's ``[surfaces.python.key-value]``
names the methods. A write of a literal status (``mapping={"status":
"killed"}``) tells nothing of where the rows come from: it is what the
writer forms judge, as a status written to those rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

import libcst as cst

from codemods.literals import string_value

if TYPE_CHECKING:
    from codemods.provenance import ModuleFacts, Origin, Resolver, Scope

# Calls that encode a record for the store: what is stored is what they are given.
_ENCODERS = frozenset({"dumps", "packb", "encode"})
# Calls that batch a store's commands: what they run is run on the store.
_BATCHES = frozenset({"pipeline", "transaction", "multi"})


def key_of(node: cst.BaseExpression, resolver: Resolver, scope: Scope, depth: int = 0) -> str | None:
    """The template a key is made from: ``ROW_KEY.format(key=k)`` and
    ``ROW_KEY`` -> the constant's text, ``f"clawq:session:{k}"`` -> its text
    with ``{}`` for each placeholder, ``"idx:" + k`` -> ``idx:{}``; None when
    it is not known."""
    if depth > 4:
        return None
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
        return key_of(node.func.value, resolver, scope, depth + 1)
    value = string_value(node)
    if value is not None:
        return value
    if isinstance(node, cst.FormattedString):
        return "".join(p.value if isinstance(p, cst.FormattedStringText) else "{}" for p in node.parts)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Modulo)):
        left = key_of(node.left, resolver, scope, depth + 1)
        return None if left is None else left + "{}"
    if isinstance(node, cst.Name):
        bindings = scope.lookup(node.value)
        owner = scope.owner_of(node.value) or scope
        if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].index is None \
                and bindings[0].value is not None:
            return key_of(bindings[0].value, resolver, owner, depth + 1)
    return None


def store_of(node: cst.BaseExpression, resolver: Resolver, scope: Scope) -> str:
    """How a store is named: its code, through a pipeline or transaction of
    it (``pipe = r.pipeline()``, ``with r.pipeline() as pipe``: ``r``)."""
    if isinstance(node, cst.Name):
        bindings = scope.lookup(node.value)
        if len(bindings) == 1 and bindings[0].kind in ("assign", "with") and isinstance(bindings[0].value, cst.Call):
            func = bindings[0].value.func
            if isinstance(func, cst.Attribute) and func.attr.value in _BATCHES:
                return store_of(func.value, resolver, scope.owner_of(node.value) or scope)
    return resolver.code(node)


def _store(call: cst.Call, methods: tuple[str, ...]) -> tuple[cst.BaseExpression, str] | None:
    """``(store, method)`` of a call of one of ``methods`` on a store, given a key."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value in methods and call.args):
        return None
    if call.args[0].keyword is not None or call.args[0].star:
        return None
    return func.value, func.attr.value


def written_value(call: cst.Call) -> cst.BaseExpression | None:
    """What a write stores: its ``mapping=``, a field and its value
    (``hset(k, "status", v)`` as ``{"status": v}``), or its last positional
    argument (``set(k, json.dumps(row))``, ``setex(k, ttl, value)``), the
    record an encoder is given (``row`` of ``json.dumps(row)``)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "mapping":
            return arg.value
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value == "hset" and len(positional) == 3:
        return cst.Dict([cst.DictElement(positional[1], positional[2])])
    value = positional[-1] if len(positional) >= 2 else None
    while isinstance(value, cst.Call) and value.args and not value.args[0].star and (
            cst.helpers.get_full_name_for_node(value.func) or "").rsplit(".", 1)[-1] in _ENCODERS:
        value = value.args[0].value
    return value


def writes_under(call: cst.Call, scope: Scope, resolver: Resolver) -> list[tuple[cst.Call, Scope]] | None:
    """The writes of this module under the key ``call`` (a read or a write)
    names, on the same store; None when ``call`` is no store call or its key
    is not known."""
    shapes = resolver.manifest.python.key_value
    found = _store(call, (*shapes.reads, *shapes.writes))
    if found is None:
        return None
    store, _ = found
    writes = _writes(resolver)
    if not writes:
        return []
    key = key_of(call.args[0].value, resolver, scope)
    if key is None:
        return None
    held = store_of(store, resolver, scope)
    out = []
    for other, other_scope, written in writes:
        if store_of(written, resolver, other_scope) != held:
            continue
        if key_of(other.args[0].value, resolver, other_scope) == key:
            out.append((other, other_scope))
    return out


# The store writes of a module's facts, found once (a read is asked of every `.get(...)`).
_WRITES: WeakKeyDictionary[ModuleFacts, list[tuple[cst.Call, Scope, cst.BaseExpression]]] = WeakKeyDictionary()


def _writes(resolver: Resolver) -> list[tuple[cst.Call, Scope, cst.BaseExpression]]:
    """Every write of a module's facts on a store: ``(call, scope, store)``."""
    facts = resolver.facts
    found = _WRITES.get(facts)
    if found is None:
        shapes = resolver.manifest.python.key_value.writes
        found = []
        for call, scope in facts.all_calls:
            written = _store(call, shapes)
            if written is not None and written_value(call) is not None:
                found.append((call, scope, written[0]))
        _WRITES[facts] = found
    return found


def literal_status(value: cst.BaseExpression | None, resolver: Resolver) -> bool:
    """Whether a write stores a literal status (``{"status": "killed"}``)."""
    if not isinstance(value, cst.Dict):
        return False
    return any(isinstance(e, cst.DictElement) and string_value(e.key) in resolver.facts.keys
               and string_value(e.value) is not None for e in value.elements)


def stored_origin(call: cst.Call, scope: Scope, resolver: Resolver, depth: int,
                  skip: cst.Call | None = None) -> Origin | None:
    """What is stored under the key ``call`` reads (or, for a write,
    writes): session rows when every write there that is no literal status
    (but ``skip``) stores a session row, another vocabulary's when every one
    stores that; None otherwise."""
    from codemods.provenance import Origin

    shapes = resolver.manifest.python.key_value
    if _store(call, shapes.reads if skip is None else shapes.writes) is None:
        return None
    writes = writes_under(call, scope, resolver)
    if not writes:
        return None
    found = []
    for write, write_scope in writes:
        value = written_value(write)
        if write is skip or write is call or literal_status(value, resolver):
            continue
        if value is None:
            return None
        found.append((resolver.origin(value, write_scope, depth + 1), write))
    kinds = {o.kind for o, _ in found}
    if len(kinds) != 1 or kinds == {"unknown"} or kinds == {"mixed"}:
        return None
    origin, write = found[0]
    if not all(o.strength == "strong" for o, _ in found):
        return None
    line = resolver.facts.pos(write).start.line
    return Origin(origin.kind, "strong", f"what `{resolver.code(write.func)}()` stores under "
                                         f"`{resolver.code(write.args[0].value)}` at line {line}, {origin.why}")
