"""codemods.walk visits a tree as LibCST's own ``module.visit`` does: the
same ``visit_<Node>`` and ``leave_<Node>`` calls, on the same nodes, in the
same order, for every node class, on every fixture module and on the
shapes of tests/codemods/test_positions.py; a ``visit_`` that returns
False skips the node's children, as in LibCST."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from codemods import walk
from tests.codemods.test_positions import SHAPES

REPO = Path(__file__).resolve().parents[2]
NODES = [c for c in vars(cst).values() if inspect.isclass(c) and issubclass(c, cst.CSTNode)]


def _recorder(skip: str = "") -> cst.CSTVisitor:
    """A visitor with a visit and a leave method for every node class, noting each call."""

    def noting(kind: str, name: str) -> Any:
        def note(self: Any, node: cst.CSTNode) -> bool | None:
            self.events.append((kind, name, id(node)))
            return False if kind == "visit" and name == skip else None
        return note

    methods: dict[str, Any] = {f"{kind}_{c.__name__}": noting(kind, c.__name__) for c in NODES for kind in ("visit", "leave")}
    visitor = type("Recorder", (cst.CSTVisitor,), methods)()
    visitor.events = []  # type: ignore[attr-defined]
    return visitor


def _same(source: bytes, skip: str = "") -> None:
    module = cst.parse_module(source)
    theirs, ours = _recorder(skip), _recorder(skip)
    module.visit(theirs)
    walk.visit(module, ours)
    assert ours.events == theirs.events  # type: ignore[attr-defined]
    assert ours.events  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shapes(name: str) -> None:
    _same(SHAPES[name].encode())


def test_every_fixture_module() -> None:
    modules = sorted((REPO / "fixtures").rglob("*.py"))
    assert len(modules) > 50
    for path in modules:
        _same(path.read_bytes())


def test_a_visit_that_returns_false_skips_the_children() -> None:
    _same(SHAPES["classes"].encode(), skip="FunctionDef")
    _same(SHAPES["decorated"].encode(), skip="Call")


def test_a_field_visited_only_when_set_is_visited_where_it_is() -> None:
    # The first f-string seen has no format spec, the next one has: LibCST
    # names `format_spec` only when it is set, so one node's fields cannot
    # stand for its class's.
    walk._FIELDS.clear()
    walk._PER_NODE.clear()
    _same(SHAPES["fstring-spec-later"].encode())
