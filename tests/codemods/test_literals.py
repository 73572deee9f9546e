"""String literal values are read without compiling each literal, and agree
with Python's own reading of every form a status literal can take."""

import libcst as cst
import pytest

from codemods.literals import string_value

FORMS = [
    '"done"', "'failed'", '"""timeout"""', "'''killed'''", "''", '""""""',
    "'\"'", '"""a"b"""', "'''a'b'''", "u'done'", "R'done'", "r'a\\\\b'",
    "'a\\n'", "'\\x64one'", "'do' 'ne'", "b'done'", "Rb'done'", "f'done'",
]


@pytest.mark.parametrize("source", FORMS)
def test_value_is_pythons_value(source: str) -> None:
    node = cst.parse_expression(source)
    expected = eval(source) if isinstance(node, cst.SimpleString) else None  # noqa: S307 - literals only
    if not isinstance(expected, str):
        expected = None
    assert string_value(node) == expected


def test_escaped_literal_is_decoded() -> None:
    assert string_value(cst.parse_expression("'\\x64one'")) == "done"
    assert string_value(cst.parse_expression("'do\\\nne'")) == "done"
