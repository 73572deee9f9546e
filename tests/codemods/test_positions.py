"""codemods.positions lays out every node where LibCST's PositionProvider
does: the same range for each node of real modules and of the shapes whose
layout is easy to get wrong (decorators, semicolons, backslashes, CRLF and
lone CR newlines, tabs, f-strings, a file without a final newline)."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from codemods.positions import Positions

REPO = Path(__file__).resolve().parents[2]

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


def _same(source: bytes) -> None:
    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    found = Positions(module)
    assert len(found) == len(expected)
    assert {node: found[node] for node in expected} == dict(expected)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shapes(name: str) -> None:
    _same(SHAPES[name].encode())


def test_every_fixture_module() -> None:
    modules = sorted((REPO / "fixtures").rglob("*.py"))
    assert len(modules) > 50
    for path in modules:
        _same(path.read_bytes())
