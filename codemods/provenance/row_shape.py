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

if TYPE_CHECKING:
    from codemods.provenance import Resolver, Subject

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


def shape_key(resolver: "Resolver", subject: "Subject") -> str | None:
    """The session-row-only key the code also reads from the object
    ``subject`` reads its status from, or None."""
    shape = {_normal(k): k for k in resolver.manifest.python.sources.shape}
    root = subject.root
    if not shape or not isinstance(root, cst.Name):
        return None
    for read in sorted(_reads(resolver, root, subject)):
        if _normal(read) in shape:
            return read
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
