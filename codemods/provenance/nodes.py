"""Helpers over LibCST nodes that need no module's facts: what a compared
value may really be (``unwrap``, ``status_root``), the elements of a
collection, a dict table's entries, a ``case``'s literals, a union of
constants' parts, a call's argument for a parameter, and what an annotation
or a decorator says of a class."""

from __future__ import annotations

import re
from typing import Iterator, Sequence, TypeVar

import libcst as cst

from codemods.literals import string_value
from codemods.provenance.model import NORMALIZERS, _COMMANDS


def status_root(node: cst.BaseExpression) -> cst.BaseExpression:
    """The object a direct status read is made on (``row`` in ``row["status"]``)."""
    if isinstance(node, cst.Subscript):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.value
    if isinstance(node, cst.Call):
        if isinstance(node.func, cst.Attribute):
            return node.func.value
        return node.args[0].value
    return node


def unwrap(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The expressions a compared value may really be: through ``.lower()``,
    ``.strip()``, ``str(...)`` and each operand of an ``or`` fallback chain."""
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in NORMALIZERS and not node.args:
            yield from unwrap(func.value)
            return
        if isinstance(func, cst.Name) and func.value == "str" and len(node.args) == 1:
            yield from unwrap(node.args[0].value)
            return
    if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
        yield from unwrap(node.left)
        yield from unwrap(node.right)
        return
    if isinstance(node, cst.NamedExpr):  # (st := row["status"]) == "done"
        yield from unwrap(node.value)
        return
    yield node


def _class_annotation(annotation: cst.BaseExpression | None) -> str | None:
    """The class an annotation names (``Gateway``, ``Gateway | None``,
    ``Optional[Gateway]``, ``"Gateway"``), or None for anything else."""
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        left, right = annotation.left, annotation.right
        annotation = right if isinstance(left, cst.Name) and left.value == "None" else left
    if isinstance(annotation, cst.Subscript):
        wrapper = cst.helpers.get_full_name_for_node(annotation.value) or ""
        index = annotation.slice[0].slice
        if wrapper.rsplit(".", 1)[-1] != "Optional" or len(annotation.slice) != 1 or not isinstance(index, cst.Index):
            return None  # list[Row], Dict[str, Gateway]: a container, no instance
        annotation = index.value
    if isinstance(annotation, cst.SimpleString):
        text = string_value(annotation) or ""
        return text if re.fullmatch(r"[A-Z]\w*(?:\.\w+)*", text) else None
    if annotation is None:
        return None
    typed = cst.helpers.get_full_name_for_node(annotation) or ""
    return typed if typed.rsplit(".", 1)[-1][:1].isupper() else None


def _class_name(node: cst.BaseExpression) -> str | None:
    """``Gateway`` / ``gateway.Gateway`` as a class's name, else None."""
    name = cst.helpers.get_full_name_for_node(node) or ""
    return name if name.rsplit(".", 1)[-1][:1].isupper() else None


def _made_by(annotation: cst.BaseExpression | None) -> str | None:
    """The class an annotation says calling the value builds:
    ``Callable[..., Gateway]``, ``type[Gateway]``, ``Type[Gateway]``."""
    if not isinstance(annotation, cst.Subscript):
        return None
    wrapper = (cst.helpers.get_full_name_for_node(annotation.value) or "").rsplit(".", 1)[-1]
    last = annotation.slice[-1].slice
    if not isinstance(last, cst.Index):
        return None
    if wrapper == "Callable" and len(annotation.slice) == 2 or wrapper in ("type", "Type") and len(annotation.slice) == 1:
        return _class_annotation(last.value)
    return None


def _runs_command(value: cst.BaseExpression | None) -> bool:
    """Whether ``value`` runs a command line (``subprocess.run([...])``):
    what it holds is what the command prints, whatever the name it is
    given (``proc`` there names no process record)."""
    if not isinstance(value, cst.Call):
        return False
    last = (cst.helpers.get_full_name_for_node(value.func) or "").rsplit(".", 1)[-1]
    return last in _COMMANDS and last != "split" and bool(value.args)


def _decorated(function: cst.FunctionDef, name: str) -> bool:
    """Whether ``function`` carries the decorator ``name`` (``classmethod``)."""
    return any(cst.helpers.get_full_name_for_node(d.decorator) == name for d in function.decorators)


NodeT = TypeVar("NodeT", bound=cst.CSTNode)


def nodes_in(node: cst.CSTNode, kind: type[NodeT]) -> list[NodeT]:
    """The nodes of ``kind`` anywhere below ``node`` (``node`` included): the
    string literals of a type's `Literal[...]`, the names of an expression."""
    out: list[NodeT] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, kind):
            out.append(current)
        stack.extend(current.children)
    return out


def _argument(call: cst.Call, positional: Sequence[str], param: str) -> cst.BaseExpression | None:
    """What ``call`` passes for ``param`` (by keyword or position), if anything."""
    argument = None
    for i, arg in enumerate(call.args):
        if arg.keyword is not None:
            if arg.keyword.value == param:
                argument = arg.value
        elif arg.star == "" and i < len(positional) and positional[i] == param:
            argument = arg.value
    return argument


def _only_looked_up(within: cst.CSTNode, name: str, attribute: bool) -> bool:
    """Whether every use of ``name`` (``self.name`` when ``attribute``) in
    ``within`` but its one assignment reads it as a table: ``T[key]``,
    ``T.get(key)``, ``key in T``."""
    uses = 0
    stores: set[int] = set()
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None]] = [(within, None)]
    while stack:
        node, parent = stack.pop()
        if isinstance(node, (cst.AugAssign, cst.AnnAssign)):
            stores.add(id(node.target))
        elif isinstance(node, cst.Assign):
            stores |= {id(t.target) for t in node.targets}
        elif isinstance(node, cst.Del):
            stores.add(id(node.target))
        used = (
            isinstance(node, cst.Attribute) and node.attr.value == name and isinstance(node.value, cst.Name)
            if attribute else isinstance(node, cst.Name) and node.value == name
        )
        if used:
            if id(node) in stores:
                uses += 1  # the one assignment
                if uses > 1:
                    return False
            elif not _a_lookup(node, parent, stores):
                return False
            if attribute:
                continue
        stack.extend((child, node) for child in node.children)
    return True


def _a_lookup(node: cst.CSTNode, parent: cst.CSTNode | None, stores: set[int]) -> bool:
    if isinstance(parent, cst.Subscript) and parent.value is node:
        return id(parent) not in stores
    if isinstance(parent, cst.Attribute) and parent.value is node:
        return parent.attr.value == "get"
    if isinstance(parent, cst.ComparisonTarget) and parent.comparator is node:
        return isinstance(parent.operator, (cst.In, cst.NotIn))
    return False


def _plain_item(node: cst.BaseExpression, index: int) -> cst.BaseExpression | None:
    """Element ``index`` of a tuple or list display with no starred element."""
    if not isinstance(node, (cst.Tuple, cst.List)) or index >= len(node.elements):
        return None
    if any(isinstance(e, cst.StarredElement) for e in node.elements):
        return None
    return node.elements[index].value


def counted_key(value: cst.BaseExpression) -> cst.BaseExpression | None:
    """What a mapping built in one expression is keyed by: the key of a dict
    comprehension (``{r["status"]: n for r in rows}``), what a ``Counter`` of
    a comprehension counts (``Counter(r["status"] for r in rows)``)."""
    if isinstance(value, cst.DictComp):
        return value.key
    if isinstance(value, cst.Call) and len(value.args) == 1 and not value.args[0].star \
            and value.args[0].keyword is None and isinstance(value.args[0].value, (cst.GeneratorExp, cst.ListComp)) \
            and (cst.helpers.get_full_name_for_node(value.func) or "").rsplit(".", 1)[-1] == "Counter":
        return value.args[0].value.elt
    return None


def collection_elements(node: cst.BaseExpression) -> Sequence[cst.BaseElement] | None:
    """Elements of a tuple/list/set literal (also inside ``set(...)``/``frozenset(...)``)."""
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        return node.elements
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("set", "frozenset"):
        if len(node.args) == 1 and isinstance(node.args[0].value, (cst.Tuple, cst.List, cst.Set)):
            return node.args[0].value.elements
    return None


def case_literals(pattern: cst.MatchPattern) -> list[cst.SimpleString]:
    """The string literals a ``case`` pattern of values and ``|`` tests."""
    if isinstance(pattern, cst.MatchValue) and string_value(pattern.value) is not None:
        return [pattern.value]  # type: ignore[list-item]
    if isinstance(pattern, cst.MatchAs) and pattern.pattern is not None:
        return case_literals(pattern.pattern)
    if isinstance(pattern, cst.MatchOr):
        out: list[cst.SimpleString] = []
        for element in pattern.patterns:
            out += case_literals(element.pattern)
        return out
    return []


def _index_string(element: cst.SubscriptElement) -> str | None:
    return string_value(element.slice.value) if isinstance(element.slice, cst.Index) else None


def table_entries(node: cst.BaseExpression) -> Sequence[cst.BaseDictElement] | None:
    """Entries of a dict literal whose keys are all string literals."""
    if isinstance(node, cst.Dict) and node.elements:
        if all(isinstance(e, cst.DictElement) and string_value(e.key) is not None for e in node.elements):
            return node.elements
    return None


def _strings_and_names(node: cst.CSTNode, limit: int) -> Iterator[str]:
    """Strings and names inside an expression, breadth-first, bounded."""
    queue: list[cst.CSTNode] = [node]
    seen = 0
    while queue and seen < limit:
        current = queue.pop(0)
        seen += 1
        if isinstance(current, cst.SimpleString):
            value = string_value(current)
            if value:
                yield value
        elif isinstance(current, cst.Name):
            yield current.value
        elif isinstance(current, cst.Attribute):
            yield current.attr.value
        queue.extend(current.children)


def union_components(node: cst.BaseExpression) -> list[cst.Name] | None:
    """The constants a union of constants is made of: ``A | B``, ``A + B``,
    ``{*A, *B}``, ``frozenset(A | B)``, ``A | {"done"}`` -> ``[A, B]``; None
    for anything else (see :func:`union_parts` for its literals)."""
    parts = union_parts(node)
    return None if parts is None else parts[0]


def union_parts(node: cst.BaseExpression) -> tuple[list[cst.Name], list[cst.BaseExpression]] | None:
    """The constants and the literal collections of strings a union is made
    of (``BROKEN | {"done", "killed"}``, ``frozenset({...}) | {...}``,
    ``A.union({...})``); None for anything else."""
    if isinstance(node, cst.Name):
        return [node], []
    elements = collection_elements(node)
    if elements and all(isinstance(e, cst.Element) and string_value(e.value) is not None for e in elements):
        return [], [node]
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.BitOr, cst.Add)):
        left, right = union_parts(node.left), union_parts(node.right)
        return None if left is None or right is None else (left[0] + right[0], left[1] + right[1])
    if (
        isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "union"
        and node.args and not any(a.star or a.keyword for a in node.args)
    ):
        out = union_parts(node.func.value)
        for arg in node.args:
            more = union_parts(arg.value)
            if out is None or more is None:
                return None
            out = (out[0] + more[0], out[1] + more[1])
        return out
    if isinstance(node, (cst.Set, cst.Tuple, cst.List)) and node.elements:
        names: list[cst.Name] = []
        for element in node.elements:
            if not (isinstance(element, cst.StarredElement) and isinstance(element.value, cst.Name)):
                return None
            names.append(element.value)
        return names, []
    if (
        isinstance(node, cst.Call) and isinstance(node.func, cst.Name)
        and node.func.value in ("set", "frozenset", "tuple", "list") and len(node.args) == 1 and not node.args[0].star
    ):
        return union_parts(node.args[0].value)
    return None


def union_literals(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The literal collections of a union that unites constants or literals
    (``{"done", "killed"}`` of ``BROKEN | {"done", "killed"}``); none for a
    plain collection, which is a constant of its own."""
    if collection_elements(node) is not None or isinstance(node, cst.Name):
        return []
    parts = union_parts(node)
    return [] if parts is None else parts[1]
