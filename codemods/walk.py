"""A visit of a LibCST tree that changes nothing, without rebuilding it.

``module.visit(visitor)`` builds every node of the tree again on the way
back up, even for a ``CSTVisitor`` that can change nothing (LibCST's own
"traversal where children are not replaced" is still to do): the facts
visitor spent most of its time constructing and validating copies it threw
away. :func:`visit` calls the same ``visit_<Node>`` / ``leave_<Node>``
methods in the same order, children in the order LibCST visits them
(``tests/codemods/test_stand_ins.py`` holds it to LibCST's order on real
modules), and builds nothing.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Callable

import libcst as cst

# Each node class's fields, in the order its children are visited; the
# classes whose visit names some fields only when they are set.
_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}
_PER_NODE: set[type[cst.CSTNode]] = set()
# Each visitor class's methods for each node class: (visit, leave).
_METHODS: dict[tuple[type[cst.CSTVisitor], type[cst.CSTNode]], tuple[str | None, str | None]] = {}


class _FieldOrder(cst.CSTVisitor):
    """Notes the fields LibCST visits, without going into any of them."""

    def __init__(self) -> None:
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.fields.append(attribute)


def _fields(node: cst.CSTNode) -> tuple[str, ...]:
    cls = type(node)
    found = _FIELDS.get(cls)
    if found is None:
        found = _visited(node)
        # A field LibCST did not name and that holds nothing here may be one
        # it visits only when set (an f-string's `format_spec`): such a
        # class's order is taken from each node.
        if any(name not in found and _empty(getattr(node, name)) for name in _node_fields(cls)):
            _PER_NODE.add(cls)
            return found
        _FIELDS[cls] = found
    return found


def _visited(node: cst.CSTNode) -> tuple[str, ...]:
    order = _FieldOrder()
    node._visit_and_replace_children(order)
    return tuple(dict.fromkeys(order.fields))


def _node_fields(cls: type[cst.CSTNode]) -> list[str]:
    """The fields of a node class that can hold nodes (not `Newline.value`,
    a string)."""
    hints = typing.get_type_hints(cls)

    def holds(hint: Any) -> bool:
        return (isinstance(hint, type) and issubclass(hint, cst.CSTNode)) or any(holds(a) for a in typing.get_args(hint))

    return [field.name for field in dataclasses.fields(cls) if holds(hints.get(field.name, cst.CSTNode))]


def _empty(value: object) -> bool:
    return value is None or isinstance(value, cst.MaybeSentinel) or (isinstance(value, (tuple, list)) and not value)


def _methods(visitor: cst.CSTVisitor, node: cst.CSTNode) -> tuple[str | None, str | None]:
    key = (type(visitor), type(node))
    if key not in _METHODS:
        name = type(node).__name__

        def own(method: str) -> str | None:
            # The base class's own methods do nothing: not called at all.
            found = getattr(type(visitor), method, None)
            return method if found not in (None, getattr(cst.CSTVisitor, method, None)) else None

        _METHODS[key] = (own(f"visit_{name}"), own(f"leave_{name}"))
    return _METHODS[key]


def visit(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """Visit ``node`` and all below it with ``visitor``, as ``node.visit``
    would, for a visitor that dispatches by node class only (no
    ``on_visit`` of its own, no attribute hooks)."""
    visit_name, leave_name = _methods(visitor, node)
    go_on = True
    if visit_name is not None:
        go_on = getattr(visitor, visit_name)(node) is not False
    if go_on:
        for field in _visited(node) if type(node) in _PER_NODE else _fields(node):
            value: Any = getattr(node, field)
            if isinstance(value, cst.CSTNode):
                visit(value, visitor)
            elif isinstance(value, (tuple, list)):
                for item in value:
                    if isinstance(item, cst.CSTNode):
                        visit(item, visitor)
    if leave_name is not None:
        leave: Callable[[cst.CSTNode], Any] = getattr(visitor, leave_name)
        leave(node)
