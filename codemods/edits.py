"""The literal edits of both phases, as pure functions on LibCST nodes.

expand: readers accept both names (``==`` -> ``in (old, new)``; a collection
gains each missing new name right after its old one).
contract: old names become new ones; a collection holding both keeps only the
new; a one-element membership test becomes ``==``/``!=``.

The shapes are chosen so that contract(expand(x)) == contract(x) byte for
byte: expand puts the new name right after the old one and gives it the old
element's comma, so contract can drop the old element and leave exactly what a
direct contract would have written.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from codemods.literals import restyle, string_value
from migrator.manifest import Vocabulary

_SPACE = cst.SimpleWhitespace(" ")


def _separator(elements: Sequence[cst.BaseElement], index: int) -> cst.Comma:
    own = elements[index].comma
    if index < len(elements) - 1 and isinstance(own, cst.Comma):
        return own
    if index > 0 and isinstance(elements[index - 1].comma, cst.Comma):
        return elements[index - 1].comma  # type: ignore[return-value]
    return cst.Comma(whitespace_after=_SPACE)


def expand_elements(elements: Sequence[cst.BaseElement], vocab: Vocabulary) -> list[cst.BaseElement] | None:
    """Insert each missing new name after its old one; None when nothing changes."""
    present = {string_value(e.value) for e in elements}
    out: list[cst.BaseElement] = []
    changed = False
    for index, element in enumerate(elements):
        value = string_value(element.value)
        if value in vocab.old_to_new and vocab.old_to_new[value] not in present:
            new = vocab.old_to_new[value]
            assert isinstance(element.value, cst.SimpleString)
            out.append(element.with_changes(comma=_separator(elements, index)))
            out.append(element.with_changes(value=restyle(element.value, new)))
            present.add(new)
            changed = True
        else:
            out.append(element)
    return out if changed else None


def contract_elements(elements: Sequence[cst.BaseElement], vocab: Vocabulary) -> list[cst.BaseElement] | None:
    """Replace old names by new ones, dropping an old one whose new name is
    already there; None when nothing changes."""
    present = {string_value(e.value) for e in elements}
    out: list[cst.BaseElement] = []
    changed = False
    for element in elements:
        value = string_value(element.value)
        if value not in vocab.old_to_new:
            out.append(element)
            continue
        changed = True
        new = vocab.old_to_new[value]
        if new in present:
            if out and element is elements[-1]:
                out[-1] = out[-1].with_changes(comma=element.comma)
            continue
        assert isinstance(element.value, cst.SimpleString)
        out.append(element.with_changes(value=restyle(element.value, new)))
        present.add(new)
    return out if changed else None


def membership_of(op: cst.BaseCompOp) -> cst.BaseCompOp:
    """``==`` -> ``in`` and ``!=`` -> ``not in``, keeping the spacing."""
    if isinstance(op, cst.Equal):
        return cst.In(whitespace_before=op.whitespace_before, whitespace_after=op.whitespace_after)
    if isinstance(op, cst.NotEqual):
        return cst.NotIn(
            whitespace_before=op.whitespace_before, whitespace_between=_SPACE, whitespace_after=op.whitespace_after
        )
    return op


def equality_of(op: cst.BaseCompOp) -> cst.BaseCompOp:
    """``in`` -> ``==`` and ``not in`` -> ``!=``, keeping the spacing."""
    if isinstance(op, cst.In):
        return cst.Equal(whitespace_before=op.whitespace_before, whitespace_after=op.whitespace_after)
    if isinstance(op, cst.NotIn):
        return cst.NotEqual(whitespace_before=op.whitespace_before, whitespace_after=op.whitespace_after)
    return op


def pair_tuple(literal: cst.SimpleString, vocab: Vocabulary) -> cst.Tuple:
    """``"done"`` -> ``("done", "agent_responded")`` in the literal's style."""
    value = string_value(literal)
    assert value is not None
    return cst.Tuple(
        elements=[
            cst.Element(literal, comma=cst.Comma(whitespace_after=_SPACE)),
            cst.Element(restyle(literal, vocab.to_new(value))),
        ],
        lpar=[cst.LeftParen()],
        rpar=[cst.RightParen()],
    )
