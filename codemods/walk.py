"""A visit of a LibCST tree that changes nothing, without rebuilding it.

``module.visit(visitor)`` builds every node of the tree again on the way
back up, even for a ``CSTVisitor`` that can change nothing (LibCST's own
"traversal where children are not replaced" is still to do): the facts
visitor spent most of its time constructing and validating copies it threw
away. :func:`visit` calls the same ``visit_<Node>`` / ``leave_<Node>``
methods in the same order, children in the order LibCST visits them
(``tests/codemods/test_walk.py`` holds it to LibCST's order on real
modules), and builds nothing.
"""

from __future__ import annotations

from typing import Any, Callable

import libcst as cst

# Each node class's fields, in the order its children are visited.
_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}
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
        order = _FieldOrder()
        node._visit_and_replace_children(order)  # every field is named, set or not
        found = _FIELDS[cls] = tuple(dict.fromkeys(order.fields))
    return found


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
        for field in _fields(node):
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
