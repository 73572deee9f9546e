"""A state type's status: what the module's functions that return it write there.

A graph of steps over a dict state, in the manner of LangGraph, passes its
state from node to node through the framework: ``def lookup(state: State)
-> State`` returns ``{"status": row.get("status"), "row": row}`` and the
framework merges it into the state the next node is given. No call of the
module passes ``state``, so its callers cannot say what it holds; its type
can. The status a parameter annotated ``State`` holds is the status the
module's functions annotated ``-> State`` return under the status key, when
every such status comes from one kind of source (a session row everywhere:
a session status; another vocabulary's record everywhere, an ``agents_wait``
child run: that vocabulary's; both, or a value of unknown origin: nothing
is known). A status of ``None`` (no row found) says
nothing either way. Only a name the project defines (a type alias or a
``TypedDict``) is a state type: ``dict``, ``Any`` and the other types of
``typing`` are everybody's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import libcst as cst
import libcst.helpers

from codemods.literals import string_value

if TYPE_CHECKING:
    from codemods.provenance import Binding, Origin, Resolver


def _type_name(annotation: cst.BaseExpression | None) -> str | None:
    """The dotted name of a plain annotation (``State``, ``graph.State``),
    None for a subscripted or absent one."""
    if annotation is None or not isinstance(annotation, (cst.Name, cst.Attribute)):
        return None
    return libcst.helpers.get_full_name_for_node(annotation)


def _project_type(resolver: Resolver, name: str) -> bool:
    """Whether ``name`` is a type the project defines (not one of the
    standard library's or a library's, whose name every program shares)."""
    if not name.rsplit(".", 1)[-1][:1].isupper():
        return False
    head = name.partition(".")[0]
    imported = resolver.facts.imported_names.get(head)
    if imported is not None:
        module, level, _ = imported
        # `from typing import Any`: absolute imports of another package are
        # no state type of this one (a tree scanned from above its import
        # root names its modules `src.app.x`).
        return level > 0 or module.partition(".")[0] in resolver.tree.module.split(".")
    module_scope = resolver.facts.module_scope
    return head in resolver.facts.classes or (module_scope is not None and head in module_scope.bindings)


def state_origin(resolver: Resolver, name: str, bindings: Sequence[Binding], depth: int) -> Origin | None:
    """Where the status of the parameter ``name`` comes from, by its type:
    the statuses the module's functions returning that type write (see the
    module's doc). None when the parameter has no state type or the
    statuses written there are not all of one known kind."""
    from codemods.provenance import Origin

    typed = next((t for b in bindings if b.kind == "param" and (t := _type_name(b.annotation))), None)

    if typed is None or not _project_type(resolver, typed):
        return None
    facts = resolver.facts
    found: list[tuple[Origin, str]] = []
    for function_name, function in facts.functions.items():
        returns = function.returns
        if returns is None or _type_name(returns.annotation) != typed:
            continue
        for value, scope in facts.function_returns.get(function_name, []):
            status = _status_value(value, facts.keys)
            if status is None or (isinstance(status, cst.Name) and status.value == "None"):
                continue  # no status written here, or none known
            origin = resolver.origin(value, scope, depth + 1)
            if origin.kind not in ("session", "foreign"):
                return None
            found.append((origin, function_name))
    kinds = {o.kind for o, _ in found}
    if len(kinds) != 1:
        return None  # nothing written, or session rows and other records both
    strength = "strong" if all(o.strength == "strong" for o, _ in found) else "weak"
    origin, where = found[0]
    return Origin(origin.kind, strength,
                  f"`{name}` is a `{typed}`, whose status `{where}()` returns as {origin.why}")


def _status_value(value: cst.BaseExpression, keys: frozenset[str] | set[str]) -> cst.BaseExpression | None:
    """The value a returned dict literal writes under a status key."""
    if not isinstance(value, cst.Dict):
        return None
    for entry in value.elements:
        if isinstance(entry, cst.DictElement) and string_value(entry.key) in keys:
            return entry.value
    return None
