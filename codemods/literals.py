"""String literals: read their value, and write a new one in the same style."""

from __future__ import annotations

import ast
import functools

import libcst as cst


def string_value(node: cst.CSTNode) -> str | None:
    """The value of a plain (non-bytes, non-f) string literal, else None.

    Implicitly concatenated strings are left alone: rewriting one piece of
    them could change more than the status.
    """
    if not isinstance(node, cst.SimpleString):
        return None
    raw = node.value
    if raw[0] in "\"'" and "\\" not in raw and "\r" not in raw:
        # No prefix and no escape (nor a line end the tokenizer would
        # normalise): the value is the text between the quotes. LibCST's
        # evaluated_value compiles each literal with the ast module, and
        # analysis asks for the values of tens of thousands of literals.
        quote = 3 if raw[:3] in ('"""', "'''") else 1
        return raw[quote:-quote]
    if "b" in node.prefix.lower():
        return None
    return _evaluated(raw)


@functools.lru_cache(maxsize=4096)
def _evaluated(raw: str) -> str | None:
    """The value of a literal with a prefix or escapes, by Python's rules."""
    try:
        value = ast.literal_eval(raw)
    except Exception:  # malformed escapes: not ours to judge
        return None
    return value if isinstance(value, str) else None


def restyle(node: cst.SimpleString, value: str) -> cst.SimpleString:
    """A literal holding ``value`` with the prefix and quotes of ``node``.

    Vocabulary values are identifiers, so no escaping is ever needed.
    """
    return node.with_changes(value=f"{node.prefix}{node.quote}{value}{node.quote}")
