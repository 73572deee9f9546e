"""Two stand-ins for LibCST's own machinery, held to LibCST's answers:

- codemods.positions lays out every node where LibCST's PositionProvider
  does;
- codemods.walk visits a tree as ``module.visit`` does: the same
  ``visit_<Node>`` and ``leave_<Node>`` calls, on the same nodes, in the same
  order, for every node class; a ``visit_`` that returns False skips the
  node's children.

Both on every fixture module and on the shapes easy to get wrong
(decorators, semicolons, backslashes, CRLF and lone CR newlines, tabs,
f-strings with and without a format spec, a file without a final newline)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Callable

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from codemods import walk
from codemods.positions import Positions

REPO = Path(__file__).resolve().parents[2]
NODES = [c for c in vars(cst).values() if inspect.isclass(c) and issubclass(c, cst.CSTNode)]

SHAPES = {
    "decorated": "@app.get('/')\n@cached(ttl=5)\nasync def index(request):\n    return {'status': 'done'}\n",
    "semicolons": "a = 1; b = 'failed'; c = (a,\n    b)\n",
    "backslash": "x = 'done' \\\n    if ok else \\\n    'failed'\n",
    "crlf": "def f(row):\r\n    if row['status'] == 'done':\r\n        return 1\r\n    return 0\r\n",
    "lone-cr": "x = 1\ry = 'timeout'\r",
    "tabs": "if True:\n\tif x:\n\t\ty = 'killed'  # comment\n",
    "fstring": "msg = f\"{row['status']!r:>10} {'done' if ok else 'failed'}\"\n",
    "fstring-spec-later": "a = f\"{x}\"\nb = f\"{y:>{width}}\"\n",
    "no-final-newline": "status = 'done'",
    "classes": "class A(B, metaclass=M):\n    '''doc'''\n\n    x: int = 0\n\n    def m(self, *a, k=1, **kw) -> None:\n        pass\n",
    "match": "match row.get('status'):\n    case 'done' | 'failed':\n        pass\n    case {'status': s} if s:\n        pass\n",
}


def _same_positions(source: bytes) -> None:
    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    found = Positions(module)
    assert len(found) == len(expected)
    assert {node: found[node] for node in expected} == dict(expected)


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


def _same_walk(source: bytes, skip: str = "") -> None:
    module = cst.parse_module(source)
    theirs, ours = _recorder(skip), _recorder(skip)
    module.visit(theirs)
    walk.visit(module, ours)
    assert ours.events == theirs.events  # type: ignore[attr-defined]
    assert ours.events  # type: ignore[attr-defined]


CHECKS = {"positions": _same_positions, "walk": _same_walk}


@pytest.mark.parametrize("check", sorted(CHECKS))
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shapes(check: str, name: str) -> None:
    CHECKS[check](SHAPES[name].encode())


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_every_fixture_module(check: str) -> None:
    modules = sorted((REPO / "fixtures").rglob("*.py"))
    assert len(modules) > 50
    same: Callable[[bytes], None] = CHECKS[check]
    for path in modules:
        same(path.read_bytes())


def test_a_walk_visit_that_returns_false_skips_the_children() -> None:
    _same_walk(SHAPES["classes"].encode(), skip="FunctionDef")
    _same_walk(SHAPES["decorated"].encode(), skip="Call")


def test_a_field_visited_only_when_set_is_walked_where_it_is() -> None:
    # The first f-string seen has no format spec, the next one has: LibCST
    # names `format_spec` only when it is set, so one node's fields cannot
    # stand for its class's.
    walk._FIELDS.clear()
    walk._PER_NODE.clear()
    _same_walk(SHAPES["fstring-spec-later"].encode())
