"""A constant whose items are taken one at a time: ``for status in
FILTERS``, or ``next(it)`` of ``it = cycle(FILTERS)`` (``iter`` too), the
name holding the item then compared with a session status or passed to a
function that compares its parameter with one. Each such use is a use of
the constant (judged by :mod:`codemods.forms.constant` with its other uses)."""

from __future__ import annotations

from typing import Iterable

import libcst as cst

from codemods.provenance import Binding, ModuleFacts, Resolver, Scope, Verdict, _argument, collection_elements
from codemods.session_status import Plan
from codemods.words import VALUE_EXPORT

# Calls whose result yields the items of their argument, one per next().
_ITERATORS = frozenset({"cycle", "iter"})


def item_uses(facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    """Record the uses of module constants whose items a name holds one at a time."""
    # The forms this reads import the constant form: imported when run.
    from codemods.forms.passed_value import compared_parameters

    module = facts.module_scope
    if module is None:
        return
    scopes = {id(s): s for _, s in facts.all_calls} | {id(c.scope): c.scope for c in facts.comparisons}
    scopes[id(module)] = module
    compared: dict[tuple[int, str], Verdict] | None = None
    for name, value in facts.constants.items():
        if collection_elements(value) is None or len(module.bindings.get(name, ())) != 1:
            continue
        if not set(resolver.literal_words(value) or ()) & resolver.vocab.old:
            continue
        for mention in facts.mentions.get(name, []):
            if id(mention) in facts.targets or id(mention) in plan.sinks:
                continue
            holders = _holders(facts, scopes.values(), mention)
            if not holders:
                continue
            if compared is None:
                compared = {(id(f), p): v for f, p, v in compared_parameters(facts, resolver)}
            verdicts = [v for held, owner in holders for v in _uses(facts, resolver, held, owner, compared)]
            if verdicts:
                plan.constant_uses.setdefault(name, []).extend(verdicts)
                plan.sinks.add(id(mention))


def imported_item_uses(facts: ModuleFacts, resolver: Resolver) -> list[tuple[str, int, str, Verdict]]:
    """``(module, level, name, verdict)`` of each constant of another
    module whose items a loop here takes one at a time (``for status in
    marks.SESSION_STATUSES:``) and compares with a status: a use of it there."""
    from codemods.forms.passed_value import compared_parameters
    from codemods.session_status import imported_constant

    scopes = {id(s): s for _, s in facts.all_calls} | {id(c.scope): c.scope for c in facts.comparisons}
    out: list[tuple[str, int, str, Verdict]] = []
    compared: dict[tuple[int, str], Verdict] | None = None
    for scope in scopes.values():
        for held, bindings in scope.bindings.items():
            loops = [b for b in bindings if b.kind == "for" and b.index is None and b.column is None]
            if len(loops) != len(bindings) or len(loops) != 1 or loops[0].value is None:
                continue
            found = imported_constant(loops[0].value, scope, facts)
            if found is None:
                continue
            if compared is None:
                compared = {(id(f), p): v for f, p, v in compared_parameters(facts, resolver)}
            out += [(*found, v) for v in _uses(facts, resolver, held, scope, compared)]
    return out


def _holders(facts: ModuleFacts, scopes: Iterable[Scope], mention: cst.Name) -> list[tuple[str, Scope]]:
    """The names (and the scope binding them) that hold one item of the
    constant ``mention`` names, every binding of each being such an item."""
    out: list[tuple[str, Scope]] = []
    iterators: list[tuple[str, Scope]] = []
    for scope in scopes:
        for held, bindings in scope.bindings.items():
            for binding in bindings:
                if binding.kind == "for" and binding.value is mention and binding.index is None \
                        and binding.column is None:
                    out.append((held, scope))
                elif binding.kind == "assign" and _iterator_of(binding.value) is mention:
                    iterators.append((held, scope))
    for iterator, owner in iterators:
        for call, scope in facts.all_calls:
            if not (isinstance(call.func, cst.Name) and call.func.value == "next" and call.args
                    and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == iterator
                    and scope.owner_of(iterator) is owner):
                continue
            for held, bindings in scope.bindings.items():
                if any(_takes(b, call) for b in bindings):
                    out.append((held, scope))
    # Only names every binding of which is such an item: `flt = "all"` elsewhere is another value.
    unique = {(held, id(scope)): (held, scope) for held, scope in out}
    return [(held, scope) for held, scope in unique.values()
            if all(b.kind in ("for", "assign", "unpack") and (b.value is mention or _takes_item(b, facts, mention))
                   for b in scope.bindings[held])]


def _iterator_of(value: cst.BaseExpression | None) -> cst.BaseExpression | None:
    """``X`` of ``cycle(X)`` / ``itertools.cycle(X)`` / ``iter(X)``."""
    if isinstance(value, cst.Call) and len(value.args) == 1 and not value.args[0].star:
        if (cst.helpers.get_full_name_for_node(value.func) or "").rsplit(".", 1)[-1] in _ITERATORS:
            return value.args[0].value
    return None


def _next_call(binding: Binding) -> cst.BaseExpression | None:
    """What ``binding`` binds: the value, or its item (``flt, sel = next(it), 0``)."""
    value, index = binding.value, binding.index
    if index is None:
        return value
    if isinstance(value, cst.Tuple) and index < len(value.elements):
        return value.elements[index].value
    return None


def _takes(binding: Binding, call: cst.Call) -> bool:
    """Whether ``binding`` binds what ``call`` (a ``next()``) returns."""
    return _next_call(binding) is call


def _takes_item(binding: Binding, facts: ModuleFacts, mention: cst.Name) -> bool:
    """Whether ``binding`` binds ``next(it)`` of an ``it`` bound to ``cycle()`` / ``iter()`` of ``mention``."""
    call = _next_call(binding)
    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value == "next"
            and call.args and isinstance(call.args[0].value, cst.Name)):
        return False
    iterator = call.args[0].value.value
    return any(any(b.kind == "assign" and _iterator_of(b.value) is mention for b in scope.lookup(iterator))
               for c, scope in facts.all_calls if c is call)


def _uses(
    facts: ModuleFacts, resolver: Resolver, held: str, owner: Scope, compared: dict[tuple[int, str], Verdict]
) -> list[Verdict]:
    """The verdicts of the tests the item held in ``held`` meets: compared
    with a status (``s["status"] == flt``) or passed to a function that
    compares its parameter with one (here, or in another module)."""
    from codemods.forms.held_collection import tested_arguments

    out: list[Verdict] = []
    for comparison in facts.comparisons:
        if comparison.through is not None or not isinstance(comparison.op, (cst.Equal, cst.NotEqual)):
            continue
        sides = [(comparison.other, comparison.subject), (comparison.subject, comparison.other)]
        for mine, other in sides:
            if isinstance(mine, cst.Name) and mine.value == held and comparison.scope.owner_of(held) is owner:
                subject = resolver.subject(other, comparison.scope)
                if subject is not None and subject.is_status:
                    verdict = resolver.verdict(subject, [])
                    line = facts.pos(comparison.node).start.line
                    out.append(Verdict(verdict.confidence, f"one item at a time as `{held}` (line {line}): {verdict.why}"))
                break
    for call, scope in facts.all_calls:
        if scope.owner_of(held) is not owner:
            continue
        func = call.func
        function = facts.functions.get(func.value) if isinstance(func, cst.Name) else None
        if function is not None and isinstance(func, cst.Name) and scope.owner_of(func.value) is facts.module_scope:
            positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
            for param in positional + [p.name.value for p in function.params.kwonly_params]:
                tested = compared.get((id(function), param))
                argument = _argument(call, positional, param)
                if tested is not None and isinstance(argument, cst.Name) and argument.value == held:
                    line = facts.pos(call).start.line
                    out.append(Verdict(tested.confidence, f"one item at a time as `{held}`, passed to "
                                       f"`{function.name.value}()` at line {line}, which compares it: {tested.why}"))
        for argument, passed in tested_arguments(resolver, call, VALUE_EXPORT):
            if isinstance(argument, cst.Name) and argument.value == held:
                out.append(Verdict(passed.confidence, f"one item at a time as `{held}`, {passed.why}"))
    return out
