"""A row known by its shape: what else the code reads from the same object.

A status read from an object of unknown origin (a parameter no caller in the
project passes, a row of a store the analysis cannot follow) is a session
status when the same code also reads from that object a key only session
rows and entries have (the manifest's ``sources.shape``: ``abortedLastRun``
and the like, not ``key``, ``updatedAt`` or ``status``, which task records,
run results and replies share). Keys are matched as written and in
snake case (``aborted_last_run``, a model's column). For ``self`` in a
method, the class's fields and every ``self.<name>`` its methods read count.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import libcst as cst

from codemods import walk
from codemods.literals import string_value
from codemods.provenance.facts import _items_copied

if TYPE_CHECKING:
    from codemods.provenance import Resolver, Subject
    from codemods.provenance.model import Scope

_CACHE: "weakref.WeakKeyDictionary[Resolver, dict[tuple[int, str], set[str]]]" = weakref.WeakKeyDictionary()


def _normal(key: str) -> str:
    return key.replace("_", "").lower()


class _Reads(cst.CSTVisitor):
    """Keys and attributes read from one name below a node."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.keys: set[str] = set()

    def _on(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Name) and node.value == self.name

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if self._on(node.value) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            key = string_value(node.slice[0].slice.value)
            if key:
                self.keys.add(key)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "get" and self._on(func.value) and node.args:
            key = string_value(node.args[0].value)
            if key:
                self.keys.add(key)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self._on(node.value):
            self.keys.add(node.attr.value)


def _class_fields(body: cst.ClassDef) -> set[str]:
    """The names a class body binds (``aborted_last_run = Column(...)``, ``spawn_depth: int``)."""
    out: set[str] = set()
    for line in body.body.body:
        for small in line.body if isinstance(line, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                out.add(small.target.value)
            elif isinstance(small, cst.Assign):
                out |= {t.target.value for t in small.targets if isinstance(t.target, cst.Name)}
    return out


def _reads(resolver: "Resolver", root: cst.Name, subject: "Subject") -> set[str]:
    owner = subject.scope.owner_of(root.value) or subject.scope
    node: cst.CSTNode = owner.node
    fields: set[str] = set()
    function = owner.node
    if isinstance(function, cst.FunctionDef) and function.params.params \
            and function.params.params[0].name.value == root.value:
        # `self` of a method: what the class holds and its methods read.
        cls = resolver.facts.method_class.get(id(function))
        body = resolver.facts.classes.get(cls or "")
        if body is not None:
            node, fields = body, _class_fields(body)
    memo = _CACHE.setdefault(resolver, {})
    key = (id(node), root.value)
    if key not in memo:
        visitor = _Reads(root.value)
        walk.visit(node, visitor)
        memo[key] = visitor.keys | fields
    return memo[key]


def _held_by(binding_value: cst.BaseExpression | None) -> str | None:
    """``rows`` for a loop over ``self.rows`` (its ``.items()`` or
    ``.values()`` as the loop binds them): the attribute the items are held in."""
    if isinstance(binding_value, cst.Attribute) and isinstance(binding_value.value, cst.Name) \
            and binding_value.value.value == "self":
        return binding_value.attr.value
    return None


class _ItemNames(cst.CSTVisitor):
    """The names loops and comprehensions of a class bind to the items of ``self.<attr>``."""

    def __init__(self, attr: str) -> None:
        super().__init__()
        self.attr = attr
        self.names: set[str] = set()

    def _loop(self, target: cst.BaseExpression, iterable: cst.BaseExpression) -> None:
        # As the facts bind a loop: a copy of `.items()` (`sorted(self.rows.items())`)
        # holds the same items; `sorted(self.rows)` holds keys.
        iterable = _items_copied(iterable)
        pair = False
        if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Attribute) and not iterable.args \
                and iterable.func.attr.value in ("items", "values"):
            pair = iterable.func.attr.value == "items"
            iterable = iterable.func.value
        if _held_by(iterable) != self.attr:
            return
        if pair and isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 2:
            target = target.elements[1].value
        if isinstance(target, cst.Name):
            self.names.add(target.value)

    def visit_For(self, node: cst.For) -> None:
        self._loop(node.target, node.iter)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._loop(node.target, node.iter)


def _sibling_reads(resolver: "Resolver", root: cst.Name, subject: "Subject") -> tuple[str, set[str]]:
    """The container ``root`` iterates (``rows`` for ``for r in
    self.rows.values()``) and what the class's methods read from its items
    (``r.get("abortedLastRun")`` in another method's loop over ``self.rows``):
    one container, one kind of item."""
    attrs = {a for b in subject.scope.lookup(root.value) if b.kind == "for" for a in [_held_by(b.value)] if a}
    if len(attrs) != 1:
        return "", set()
    scope: "Scope | None" = subject.scope
    while scope is not None and not (isinstance(scope.node, cst.FunctionDef)
                                     and id(scope.node) in resolver.facts.method_class):
        scope = scope.parent
    if scope is None:
        return "", set()
    body = resolver.facts.classes.get(resolver.facts.method_class[id(scope.node)] or "")
    if body is None:
        return "", set()
    (attr,) = attrs
    memo = _CACHE.setdefault(resolver, {})
    key = (id(body), f"self.{attr}[*]")
    if key not in memo:
        names = _ItemNames(attr)
        walk.visit(body, names)
        found: set[str] = set()
        for name in sorted(names.names):
            visitor = _Reads(name)
            walk.visit(body, visitor)
            found |= visitor.keys
        memo[key] = found
    return attr, memo[key]


def by_shape(resolver: "Resolver", subject: "Subject") -> str | None:
    """What makes the object ``subject`` reads its status from a session
    row by its shape (the session-row-only key the code also reads from it,
    or from the other items of the container it is one of), or None."""
    shape = {_normal(k): k for k in resolver.manifest.python.sources.shape}
    root = subject.root
    if not shape or not isinstance(root, cst.Name):
        return None
    for read in sorted(_reads(resolver, root, subject)):
        if _normal(read) in shape:
            return f"of an object also read as `{read}`"
    held, reads = _sibling_reads(resolver, root, subject)
    for read in sorted(reads):
        if _normal(read) in shape:
            return f"an item of `self.{held}`, whose items are also read as `{read}`"
    return None


# The keywords of a field's declaration (pydantic's `Field`, attrs' `field`,
# msgspec's `field(name=...)`) that give the key the field has on the wire.
_ALIAS_KEYWORDS = frozenset({"alias", "validation_alias", "name"})


def wire_aliases(body: cst.ClassDef) -> set[str]:
    """The keys a model's fields are read from when they differ from the
    field names: ``session_id: str = Field(alias="sessionId")`` reads
    ``sessionId``. A model of gateway rows names its fields in snake case
    and keeps the row's keys as aliases; the aliases are the row's shape."""
    out: set[str] = set()
    for line in body.body.body:
        for small in line.body if isinstance(line, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.AnnAssign) and isinstance(small.value, cst.Call):
                for arg in small.value.args:
                    if arg.keyword is not None and arg.keyword.value in _ALIAS_KEYWORDS:
                        key = string_value(arg.value)
                        if key:
                            out.add(key)
    return out
