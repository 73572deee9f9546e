"""String literals: read their value, and write a new one in the same style."""

from __future__ import annotations

import libcst as cst


def string_value(node: cst.CSTNode) -> str | None:
    """The value of a plain (non-bytes, non-f) string literal, else None.

    Implicitly concatenated strings are left alone: rewriting one piece of
    them could change more than the status.
    """
    if not isinstance(node, cst.SimpleString):
        return None
    if "b" in node.prefix.lower():
        return None
    try:
        value = node.evaluated_value
    except Exception:  # malformed escapes: not ours to judge
        return None
    return value if isinstance(value, str) else None


def restyle(node: cst.SimpleString, value: str) -> cst.SimpleString:
    """A literal holding ``value`` with the prefix and quotes of ``node``.

    Vocabulary values are identifiers, so no escaping is ever needed.
    """
    return node.with_changes(value=f"{node.prefix}{node.quote}{value}{node.quote}")
