"""A mapping keyed by session status, read at an old name: `counts["failed"]`.

A report counts sessions by status (``Counter(r["status"] for r in rows)``,
a dict comprehension keyed by a query's status column, a counter filled in
a loop, or what a helper returns of one of those) and then reads the entry
of one status. Which mappings are keyed by statuses is
:mod:`codemods.provenance.mappings`'s question; this form plans the edit."""

from __future__ import annotations

import libcst as cst

from codemods.provenance import mappings
from codemods.forms._common import ROWS as _ROWS
from codemods.forms._common import code as _code
from codemods.literals import restyle, string_value
from codemods.provenance import ModuleFacts, Resolver, Verdict
from codemods.session_status import Plan, StatusRewriter
from migrator.manifest import Phase, Vocabulary
from migrator.rules import Example, Rule

ORDER = 42
EDIT = "count-lookup"

_COUNTED = 'from collections import Counter\n\n' + _ROWS.replace('for row in data["sessions"]:\n', (
    'by_status = Counter(row["status"] for row in data["sessions"])\n'))

# A mapping whose missing entries raise: expand cannot add the new name's.
_NEWEST = 'data = client.invoke("sessions_list", {})\nnewest = {row["status"]: row["key"] for row in data["sessions"]}\n'

RULE = Rule(
    name="status-count-lookup",
    summary="The entry of an old name in a mapping keyed by session status (`by_status[\"failed\"]`).",
    why="Once rows carry the new names, the old name's entry counts nothing: the report reads zero.",
    safety="expand adds the new name's entry to the old one's (`(by_status[\"failed\"] + "
    "by_status[\"interrupted\"])`) only where a missing entry reads as zero: a `Counter`, a "
    "`defaultdict` or a `.get(name, 0)`; the mapping must be a name, so nothing runs twice. Any "
    "other lookup would raise or give None for the name that is missing: it is listed for review "
    "in expand. contract reads the new name's entry alone.",
    invalid=(
        Example(
            _COUNTED + 'print(by_status["failed"])\n',
            _COUNTED + 'print((by_status["failed"] + by_status["interrupted"]))\n',
            _COUNTED + 'print(by_status["interrupted"])\n',
        ),
        Example(
            'def resting(con):\n'
            '    rows = con.execute("SELECT status, COUNT(*) FROM session_nodes GROUP BY status").fetchall()\n'
            '    return {status: n for status, n in rows}\n\n'
            'def report(con):\n    counts = resting(con)\n    return counts.get("killed", 0)\n',
            'def resting(con):\n'
            '    rows = con.execute("SELECT status, COUNT(*) FROM session_nodes GROUP BY status").fetchall()\n'
            '    return {status: n for status, n in rows}\n\n'
            'def report(con):\n    counts = resting(con)\n    return (counts.get("killed", 0) + counts.get("halted", 0))\n',
            'def resting(con):\n'
            '    rows = con.execute("SELECT status, COUNT(*) FROM session_nodes GROUP BY status").fetchall()\n'
            '    return {status: n for status, n in rows}\n\n'
            'def report(con):\n    counts = resting(con)\n    return counts.get("halted", 0)\n',
        ),
        Example(
            _NEWEST + 'print(newest["done"])\n',
            None,
            _NEWEST + 'print(newest["agent_responded"])\n',
        ),
    ),
    valid=(
        Example('from collections import Counter\n\ndef report(jobs):\n'
                '    by_state = Counter(job.state for job in jobs)\n    return by_state["failed"]\n'),
        Example(_COUNTED + 'by_status["failed"] = 0\n'),
    ),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for node, holder, literal, scope in facts.literal_lookups:
        keys = mappings.keys_of(resolver, holder, scope)
        if keys is None:
            continue
        word = string_value(literal) or ""
        verdict = mappings.verdict(resolver, keys, word)
        if verdict.confidence is None:
            continue
        line = facts.pos(node).start.line
        site, siblings = _summed(facts, node, holder, word, rw.vocab)
        rewrite = rw.allowed(verdict) and not rw.ignored(facts, line)
        if rw.phase == "expand" and site is node and not (keys.counts or _zero_default(node)):
            verdict = Verdict(verdict.confidence, f"{verdict.why}; left for review: a missing entry does not read "
                              "as zero here, so expand cannot add the new name's; make the lookup accept both "
                              "before contract")
            rewrite = False
        rw.add(plan, facts, site, line, [literal], verdict, RULE.name, rewrite, EDIT, siblings)


def _summed(
    facts: ModuleFacts, node: cst.BaseExpression, holder: cst.BaseExpression, word: str, vocab: Vocabulary
) -> tuple[cst.BaseExpression, list[cst.SimpleString]]:
    """The sum expand wrote of ``node`` and the new name's entry, with both
    literals (so the site reads as expanded); else ``node`` alone."""
    total = facts.summed_lookups.get(id(node))
    if total is not None and total.left is node:
        other = _lookup_key(total.right)
        if other is not None and string_value(other) == vocab.to_new(word) \
                and _code(_holder(total.right) or total.right) == _code(holder):
            key = _lookup_key(node)
            assert key is not None
            return total, [key, other]
    key = _lookup_key(node)
    assert key is not None
    return node, [key]


def _lookup_key(node: cst.BaseExpression) -> cst.SimpleString | None:
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        key = node.slice[0].slice.value
    elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" \
            and node.args:
        key = node.args[0].value
    else:
        return None
    return key if isinstance(key, cst.SimpleString) else None


def _holder(node: cst.BaseExpression) -> cst.BaseExpression | None:
    if isinstance(node, cst.Subscript):
        return node.value
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.value
    return None


def _zero_default(node: cst.BaseExpression) -> bool:
    """``m.get(name, 0)``: a missing entry reads as a number."""
    return isinstance(node, cst.Call) and len(node.args) == 2 and isinstance(node.args[1].value, (cst.Integer, cst.Float))


def _renamed(node: cst.BaseExpression, vocab: Vocabulary) -> cst.BaseExpression:
    """``node`` reading the new name's entry."""
    key = _lookup_key(node)
    assert key is not None
    new = restyle(key, vocab.to_new(string_value(key) or ""))
    if isinstance(node, cst.Subscript):
        element = node.slice[0]
        assert isinstance(element.slice, cst.Index)
        return node.with_changes(slice=[element.with_changes(slice=element.slice.with_changes(value=new))])
    assert isinstance(node, cst.Call)
    return node.with_changes(args=[node.args[0].with_changes(value=new), *node.args[1:]])


def rewrite(node: cst.BaseExpression, vocab: Vocabulary, phase: Phase) -> cst.BaseExpression:
    """The edit of a planned lookup (or of the sum expand wrote of two)."""
    if isinstance(node, cst.BinaryOperation):  # contract of expand's sum: the new name's entry
        return node.right.with_changes(lpar=[], rpar=[])
    renamed = _renamed(node, vocab)
    if phase == "contract":
        return renamed
    return cst.BinaryOperation(
        left=node.with_changes(lpar=[], rpar=[]), operator=cst.Add(), right=renamed.with_changes(lpar=[], rpar=[]),
        lpar=[cst.LeftParen()], rpar=[cst.RightParen()],
    )
