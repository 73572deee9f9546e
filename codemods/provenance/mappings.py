"""Mappings keyed by a session status, and what their keys are.

``Counter(r["status"] for r in rows)``, ``{status: n for status, n in
cur}``, a ``Counter()`` or ``defaultdict(int)`` counted up with
``counts[row["status"]] += 1``, or what a helper returns of one of those
(in its own module or, through the project's exports, in another): each
key is a status, judged as the status it is built from. A lookup of such a
mapping by a literal (``counts["failed"]``) reads one status's entry, and
is a test of that status as much as ``==`` is (see
:mod:`codemods.forms.count_lookup`).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from codemods.provenance import Resolver, Scope, Subject, Verdict, nodes_in
from codemods.provenance.nodes import counted_key
from codemods.words import COUNTERS

# Marks an export ``module.function#keys`` (``#counts``: its values are
# counts): the function returns a mapping keyed by session statuses; the
# value is the chain.
KEYS_EXPORT = "#keys"
COUNTS_EXPORT = "#counts"
_DEPTH = 3


@dataclass(frozen=True)
class Keys:
    """What the keys of a mapping are: a status read here (``subject``) or,
    from another module, a verdict already given; ``counts`` when every
    value is a count, so that two entries may be added up."""

    subject: Subject | None
    told: Verdict | None
    counts: bool
    why: str


def keys_of(resolver: Resolver, holder: cst.BaseExpression, scope: Scope, depth: int = 0) -> Keys | None:
    """The keys of the mapping ``holder`` names, when they are statuses."""
    if not isinstance(holder, cst.Name) or depth > _DEPTH:
        return None
    value = scope.bound_once(holder.value)
    if value is None:
        return None
    return _built(resolver, value, scope.owner_of(holder.value) or scope, depth, f"`{holder.value}`")


def _built(resolver: Resolver, value: cst.BaseExpression, scope: Scope, depth: int, shown: str) -> Keys | None:
    """The keys of the mapping ``value`` builds (a literal of the code, not a name)."""
    if isinstance(value, cst.Name):
        return keys_of(resolver, value, scope, depth + 1)
    key = counted_key(value)
    if key is not None:
        subject = resolver.subject(key, scope, depth + 1)
        counts = not isinstance(value, cst.DictComp)
        what = "a `Counter` of" if counts else "a dict keyed by"
        return _keyed(subject, counts, f"{shown}, {what} {subject.description}" if subject else "")
    if not isinstance(value, cst.Call):
        return _counted(resolver, value, scope, depth, shown) if isinstance(value, cst.Dict) and not value.elements \
            else None
    callee = cst.helpers.get_full_name_for_node(value.func) or ""
    last = callee.rsplit(".", 1)[-1]
    if last == "Counter" and len(value.args) == 1 and isinstance(value.args[0].value, cst.Name):
        # Counter(statuses), statuses = [r["status"] for r in rows]
        listed = scope.bound_once(value.args[0].value.value)
        if isinstance(listed, (cst.GeneratorExp, cst.ListComp)):
            subject = resolver.subject(listed.elt, scope, depth + 1)
            return _keyed(subject, True, f"{shown}, a `Counter` of {subject.description}" if subject else "")
        return None
    if last in COUNTERS and (not value.args or last == "defaultdict") or last == "dict" and not value.args:
        return _counted(resolver, value, scope, depth, shown)
    if isinstance(value.func, cst.Name) and value.func.value in resolver.facts.functions:
        return _returned(resolver, value.func.value, depth, shown)
    full = resolver.absolute(callee) if callee else None
    exports = resolver.tree.exports
    for suffix, counts in ((COUNTS_EXPORT, True), (KEYS_EXPORT, False)):
        why = exports.get(f"{full}{suffix}") if full else None
        if why is not None:
            return Keys(None, Verdict("certain", why), counts, f"{shown}, what `{callee}()` returns: {why}")
    return None


def _keyed(subject: Subject | None, counts: bool, why: str) -> Keys | None:
    if subject is None or not subject.is_status:
        return None
    return Keys(subject, None, counts, why)


def _counted(resolver: Resolver, value: cst.BaseExpression, scope: Scope, depth: int, shown: str) -> Keys | None:
    """An empty mapping filled in its function by ``m[key] += n`` (or
    ``m[key] = m.get(key, 0) + n``): every key so written is a status."""
    name = shown.strip("`")
    writes: list[cst.BaseExpression] = []
    for node in nodes_in(scope.node, cst.AugAssign):
        key = _key_of(node.target, name)
        if key is not None:
            writes.append(key)
    for assign in nodes_in(scope.node, cst.Assign):
        for target in assign.targets:
            key = _key_of(target.target, name)
            if key is not None:
                writes.append(key)
    if not writes:
        return None
    subjects = [resolver.subject(k, scope, depth + 1) for k in writes]
    if not all(s is not None and s.is_status for s in subjects):
        return None
    first = subjects[0]
    assert first is not None
    counts = isinstance(value, cst.Call) and (cst.helpers.get_full_name_for_node(value.func) or "").rsplit(".", 1)[-1] \
        in COUNTERS
    return Keys(first, None, counts, f"{shown}, counted by {first.description}")


def _key_of(target: cst.BaseExpression, name: str) -> cst.BaseExpression | None:
    if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and target.value.value == name \
            and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
        return target.slice[0].slice.value
    return None


def _returned(resolver: Resolver, function: str, depth: int, shown: str) -> Keys | None:
    """What a function of this module returns, when every return is such a mapping."""
    returns = resolver.facts.function_returns.get(function, [])
    if not returns or function in resolver.facts.generators:
        return None
    # An early `return {}` (nothing to count) says nothing of the keys.
    found = [_built(resolver, value, scope, depth + 1, shown) for value, scope in returns if not _empty(value)]
    if not found or not all(found):
        return None
    first = found[0]
    assert first is not None
    return Keys(first.subject, first.told, all(k is not None and k.counts for k in found),
                f"{shown}, what `{function}()` returns: {first.why}")


def _empty(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.Dict):
        return not value.elements
    return isinstance(value, cst.Call) and not value.args and \
        (cst.helpers.get_full_name_for_node(value.func) or "").rsplit(".", 1)[-1] in ("dict", "Counter")


def verdict(resolver: Resolver, keys: Keys, word: str) -> Verdict:
    """How sure we are that a lookup of ``word`` in the mapping reads a session status's entry."""
    if keys.told is not None:
        return Verdict(keys.told.confidence, f"looked up in {keys.why}")
    assert keys.subject is not None
    found = resolver.verdict(keys.subject, [word], "looked up in a mapping keyed by")
    if found.confidence is None:
        return found
    return Verdict(found.confidence, f"looked up in {keys.why}; {found.why}")


def exports(resolver: Resolver, where: str) -> dict[str, str]:
    """``module.function#keys`` (``#counts``) for each module-level function
    of this module that returns a mapping keyed by session statuses."""
    out: dict[str, str] = {}
    for name, function in resolver.facts.functions.items():
        if "." in name:
            continue  # a method: its callers are found through instances
        keys = _returned(resolver, name, 0, f"`{name}()`")
        if keys is None or keys.subject is None:
            continue
        found = resolver.verdict(keys.subject, [], "keyed by")
        if found.confidence != "certain":
            continue
        line = resolver.facts.pos(function).start.line
        suffix = COUNTS_EXPORT if keys.counts else KEYS_EXPORT
        out[f"{resolver.tree.module}.{name}{suffix}".lstrip(".")] = (
            f"a mapping ({where}:{line}) keyed by {keys.subject.description}, {found.why}"
        )
    return out
