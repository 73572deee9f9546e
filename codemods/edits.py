"""The literal edits of both phases, as pure functions on LibCST nodes.

expand: readers accept both names (``==`` -> ``in (old, new)``; a collection,
``|`` pattern, ``Literal[...]`` or dispatch table gains each missing new name
right after its old one).
contract: old names become new ones; a sequence holding both keeps only the
new; a one-element membership test becomes ``==``/``!=``.

The shapes are chosen so that contract(expand(x)) == contract(x) byte for
byte: expand puts the new name right after the old one and gives it the old
element's separator, so contract can drop the old element and leave exactly
what a direct contract would have written.

Every sequence kind (tuple/list/set elements, ``Literal`` subscript elements,
dict entries, ``|`` pattern alternatives) goes through the same two functions;
an :class:`Access` says where the literal and the separator of one kind live.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import libcst as cst

from codemods.literals import restyle, string_value
from migrator.manifest import Vocabulary

_SPACE = cst.SimpleWhitespace(" ")


@dataclass(frozen=True)
class Access:
    """Where one kind of sequence element keeps its literal and separator."""

    literal: Callable[[Any], cst.BaseExpression | None]
    with_literal: Callable[[Any, cst.SimpleString], Any]
    separator: str  # attribute name: "comma" or "separator"
    default_separator: Callable[[], Any]


def _element_literal(e: cst.BaseElement) -> cst.BaseExpression:
    return e.value


def _subscript_literal(e: cst.SubscriptElement) -> cst.BaseExpression | None:
    return e.slice.value if isinstance(e.slice, cst.Index) else None


def _pattern_literal(e: cst.MatchOrElement) -> cst.BaseExpression | None:
    return e.pattern.value if isinstance(e.pattern, cst.MatchValue) else None


def _dict_literal(e: cst.BaseDictElement) -> cst.BaseExpression | None:
    return e.key if isinstance(e, cst.DictElement) else None


ELEMENTS = Access(_element_literal, lambda e, s: e.with_changes(value=s), "comma",
                  lambda: cst.Comma(whitespace_after=_SPACE))
SUBSCRIPT = Access(
    _subscript_literal,
    lambda e, s: e.with_changes(slice=e.slice.with_changes(value=s)),
    "comma",
    lambda: cst.Comma(whitespace_after=_SPACE),
)
PATTERNS = Access(
    _pattern_literal,
    lambda e, s: e.with_changes(pattern=e.pattern.with_changes(value=s)),
    "separator",
    lambda: cst.BitOr(whitespace_before=_SPACE, whitespace_after=_SPACE),
)
DICT = Access(_dict_literal, lambda e, s: e.with_changes(key=s), "comma",
              lambda: cst.Comma(whitespace_after=_SPACE))


def _value(access: Access, element: Any) -> str | None:
    literal = access.literal(element)
    return string_value(literal) if literal is not None else None


def _separator(elements: Sequence[Any], index: int, access: Access) -> Any:
    name = access.separator
    kind = type(access.default_separator())
    own = getattr(elements[index], name)
    if index < len(elements) - 1 and isinstance(own, kind):
        return _bare(own)
    if index > 0 and isinstance(getattr(elements[index - 1], name), kind):
        return _bare(getattr(elements[index - 1], name))
    return access.default_separator()


def _bare(separator: Any) -> Any:
    """A copied separator without its trailing comment or comment lines: the
    comment stays once, after the element it was written for (the new name
    takes the original separator, so contract finds it where it was)."""
    after = getattr(separator, "whitespace_after", None)
    if isinstance(after, cst.ParenthesizedWhitespace) and (after.first_line.comment or after.empty_lines):
        first = after.first_line.with_changes(comment=None, whitespace=cst.SimpleWhitespace(""))
        return separator.with_changes(whitespace_after=after.with_changes(first_line=first, empty_lines=[]))
    return separator


def expand_elements(
    elements: Sequence[Any], vocab: Vocabulary, access: Access = ELEMENTS, held: frozenset[str] = frozenset()
) -> list[Any] | None:
    """Insert each missing new name after its old one (but the ``held`` old
    names, left for review); None when nothing changes."""
    present = {_value(access, e) for e in elements}
    out: list[Any] = []
    changed = False
    for index, element in enumerate(elements):
        value = _value(access, element)
        if value is not None and value in vocab.old_to_new and value not in held and vocab.old_to_new[value] not in present:
            new = vocab.old_to_new[value]
            literal = access.literal(element)
            assert isinstance(literal, cst.SimpleString)
            out.append(element.with_changes(**{access.separator: _separator(elements, index, access)}))
            out.append(access.with_literal(element, restyle(literal, new)))
            present.add(new)
            changed = True
        else:
            out.append(element)
    return out if changed else None


def contract_elements(
    elements: Sequence[Any], vocab: Vocabulary, access: Access = ELEMENTS, held: frozenset[str] = frozenset()
) -> list[Any] | None:
    """Replace old names by new ones (but the ``held`` ones), dropping an old
    one whose new name is already there; None when nothing changes."""
    present = {_value(access, e) for e in elements}
    out: list[Any] = []
    changed = False
    for element in elements:
        value = _value(access, element)
        if value is None or value not in vocab.old_to_new or value in held:
            out.append(element)
            continue
        changed = True
        new = vocab.old_to_new[value]
        if new in present:
            if out and element is elements[-1]:
                out[-1] = out[-1].with_changes(**{access.separator: getattr(element, access.separator)})
            continue
        literal = access.literal(element)
        assert isinstance(literal, cst.SimpleString)
        out.append(access.with_literal(element, restyle(literal, new)))
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
    # == ("done") is == "done": the tuple's own parentheses replace the literal's.
    literal = literal.with_changes(lpar=[], rpar=[])
    return cst.Tuple(
        elements=[
            cst.Element(literal, comma=cst.Comma(whitespace_after=_SPACE)),
            cst.Element(restyle(literal, vocab.to_new(value))),
        ],
        lpar=[cst.LeftParen()],
        rpar=[cst.RightParen()],
    )


def pattern_of(pattern: cst.MatchPattern, vocab: Vocabulary, phase: str) -> cst.MatchPattern:
    """A ``case`` pattern of literals for ``phase``: ``"done"`` becomes
    ``"done" | "agent_responded"`` in expand; in contract the old names go and
    a single remaining alternative stands alone."""
    if isinstance(pattern, cst.MatchAs) and pattern.pattern is not None:
        # case "done" as st:  ->  case "done" | "agent_responded" as st:
        return pattern.with_changes(pattern=pattern_of(pattern.pattern, vocab, phase))
    if isinstance(pattern, cst.MatchValue):
        alternatives = [cst.MatchOrElement(pattern)]
        holder: cst.MatchOr | None = None
    elif isinstance(pattern, cst.MatchOr):
        alternatives = list(pattern.patterns)
        holder = pattern
    else:
        return pattern
    fn = expand_elements if phase == "expand" else contract_elements
    changed = fn(alternatives, vocab, PATTERNS)
    if changed is None:
        return pattern
    if len(changed) == 1:
        only: cst.MatchPattern = changed[0].pattern
        return only
    if holder is None:
        return cst.MatchOr(patterns=changed)
    return holder.with_changes(patterns=changed)
