"""`==` / `!=` / `in` between a session status and a member of a session-status `Enum`."""

from __future__ import annotations

import libcst as cst

from codemods.edits import equality_of, membership_of
from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver
from codemods.provenance.known import tree_get
from codemods.session_status import Plan, StatusRewriter
from migrator.manifest import Vocabulary
from migrator.rules import Example, Rule

ORDER = 15
EDIT = "enum-compare"

_ENUM = ('from enum import Enum\n\nclass SessionStatus(str, Enum):\n    RUNNING = "running"\n    DONE = "done"\n'
         '{hook}\ndef finished(gw):\n    return [r["key"] for r in gw.sessions_list()["sessions"]\n'
         '            if r["status"] {test}]\n')
_HOOK = ('\n    @classmethod\n    def _missing_(cls, value):\n        return {"agent_responded": cls.DONE}.get(value)\n')

RULE = Rule(
    name="status-enum-compare",
    summary="`==` / `!=` / `in` between a session status and a member of a session-status `Enum`.",
    why="Between the phases a member of a str-valued enum still equals only the old name: "
    "`row[\"status\"] == SessionStatus.DONE` takes the other branch when the gateway sends `agent_responded`.",
    safety="Only a member of an enum this run migrates (status-enum), compared with a value that flows "
    "from a session source. expand writes the member's new name beside it (`in (SessionStatus.DONE, "
    "\"agent_responded\")`), so the test holds for both names; contract, which gives the member the new "
    "name as its value, drops what expand wrote (a test with a member alone is reported, and left as it is).",
    invalid=(
        Example(
            _ENUM.format(hook="", test="== SessionStatus.DONE"),
            _ENUM.format(hook=_HOOK, test='in (SessionStatus.DONE, "agent_responded")'),
            _ENUM.format(hook="", test="== SessionStatus.DONE").replace('DONE = "done"', 'DONE = "agent_responded"'),
        ),
        Example(
            _ENUM.format(hook="", test="not in {SessionStatus.DONE, SessionStatus.RUNNING}"),
            _ENUM.format(hook=_HOOK, test='not in {SessionStatus.DONE, "agent_responded", SessionStatus.RUNNING}'),
            _ENUM.format(hook="", test="not in {SessionStatus.DONE, SessionStatus.RUNNING}").replace(
                'DONE = "done"', 'DONE = "agent_responded"'),
        ),
    ),
    valid=(
        # A job's own states: the enum is not a session status, nothing is migrated.
        Example('from enum import Enum\n\nclass JobState(str, Enum):\n    DONE = "done"\n\n'
                'def finished(jobs):\n    return [j for j in jobs if j["state"] == JobState.DONE]\n'),
    ),
)


def _member(node: cst.BaseExpression) -> tuple[str, str] | None:
    """``(Class, MEMBER)`` of ``Class.MEMBER`` or ``Class.MEMBER.value``."""
    if isinstance(node, cst.Attribute) and node.attr.value == "value" and isinstance(node.value, cst.Attribute):
        node = node.value
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        return node.value.value, node.attr.value
    return None


def _migrated(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, name: str,
              known: dict[str, dict[str, str]]) -> dict[str, str]:
    """``{member: old name}`` of the enum ``name`` names here, when this run
    migrates it (defined here, or in another module of the project)."""
    if name not in known:
        from codemods.forms.enum import migrated

        local = [e for e in facts.enums if e.name == name]
        if local:
            known[name] = migrated(rw, local[0], facts, resolver)
        else:
            full = resolver.absolute(name) if rw.tree is not None and rw.tree.enums else None
            found = tree_get(rw.tree.enums, full) if rw.tree is not None and full else None
            known[name] = dict(member.split("=", 1) for member in found.split()) if found else {}
    return known[name]


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    known: dict[str, dict[str, str]] = {}
    for comparison in facts.comparisons:
        subject, other = comparison.subject, comparison.other

        def migrated_members(side: cst.BaseExpression) -> list[tuple[cst.BaseExpression, str, str]]:
            nodes = [e.value for e in side.elements] if isinstance(side, (cst.Tuple, cst.List, cst.Set)) else [side]
            return [(node, f"{m[0]}.{m[1]}", old) for node in nodes for m in [_member(node)] if m is not None
                    for old in [_migrated(rw, facts, resolver, m[0], known).get(m[1])] if old]

        members = migrated_members(other)
        if not members and isinstance(comparison.op, (cst.Equal, cst.NotEqual)):
            subject, other = other, subject  # SessionStatus.DONE == row["status"]
            members = migrated_members(other)
        # `row.status == SessionStatus.DONE` tests an attribute; two members tested together test nothing read.
        if not members or migrated_members(subject):
            continue
        if not isinstance(other, (cst.Tuple, cst.List, cst.Set)) and not isinstance(comparison.op, (cst.Equal, cst.NotEqual)):
            continue  # `status in SessionStatus.DONE`: a substring test
        read = resolver.subject(subject, comparison.scope)
        if read is None:
            continue
        verdict = resolver.verdict(read, [old for _, _, old in members], "compared with")
        if verdict.confidence is None:
            continue
        words = [string_value(e.value) for e in getattr(other, "elements", ()) if isinstance(e.value, cst.SimpleString)]
        rewrite = rw.allowed(verdict) and not rw.ignored(facts, comparison.line)
        spec = ",".join(f"{name}={rw.vocab.to_new(old)}" for _, name, old in members)
        rw.add(plan, facts, comparison.node, comparison.line, [(node, old) for node, _, old in members], verdict,
               RULE.name, rewrite, f"{EDIT}:{spec}", siblings=[cst.SimpleString(repr(w)) for w in words if w is not None])


def _named(node: cst.BaseExpression, names: dict[str, str]) -> str | None:
    """The new name ``names`` gives the member ``node`` is (or its ``.value``)."""
    found = _member(node)
    return names.get(f"{found[0]}.{found[1]}") if found is not None else None


def rewrite_comparison(node: cst.Comparison, spec: str, vocab: Vocabulary, phase: str) -> cst.Comparison:
    """expand: the new name after each member (``== E.DONE`` becomes ``in
    (E.DONE, "agent_responded")``); contract: those names dropped again, and
    a pair back to ``==``. ``spec``: ``E.MEMBER=new`` by comma."""
    names = dict(part.split("=", 1) for part in spec.split(","))
    target = node.comparisons[0]
    op, left, right = target.operator, node.left, target.comparator
    def named_in(side: cst.BaseExpression) -> bool:
        items = [e.value for e in side.elements] if isinstance(side, (cst.Tuple, cst.List, cst.Set)) else [side]
        return any(_named(item, names) is not None for item in items)

    if not named_in(right):
        left, right = right, left  # the member first: `row["status"] in (E.DONE, ...)` is what expand writes
    if isinstance(right, cst.Attribute):
        new = _named(right, names)
        if new is None:
            return node
        if phase != "expand":
            # The subject first, as contract after expand writes it (and as status-compare does).
            return node.with_changes(left=left.with_changes(lpar=[], rpar=[]) if isinstance(left, cst.Name) else left,
                                     comparisons=[target.with_changes(comparator=right)])
        right = cst.Tuple([cst.Element(right.with_changes(lpar=[], rpar=[]), comma=cst.Comma(
            whitespace_after=cst.SimpleWhitespace(" "))), cst.Element(cst.SimpleString(f'"{new}"'))])
        op = membership_of(op)
    else:
        assert isinstance(right, (cst.Tuple, cst.List, cst.Set))
        present = {string_value(e.value) for e in right.elements if isinstance(e.value, cst.SimpleString)}
        added = set(names.values())
        elements: list[cst.BaseElement] = []
        for element in right.elements:
            if phase != "expand" and string_value(element.value) in added and elements:
                elements[-1] = elements[-1].with_changes(comma=element.comma)  # the name expand wrote, dropped
                continue
            new = _named(element.value, names)
            if phase == "expand" and new is not None and new not in present:
                # The name after its member, which takes the member's comma.
                elements.append(element.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))))
                elements.append(cst.Element(cst.SimpleString(f'"{new}"'), comma=element.comma))
                continue
            elements.append(element)
        if phase != "expand" and isinstance(right, cst.Tuple) and len(elements) == 1 and isinstance(
                op, (cst.In, cst.NotIn)):
            op, right = equality_of(op), elements[0].value  # the pair expand wrote from `==`
        else:
            right = right.with_changes(elements=elements)
    return node.with_changes(left=left, comparisons=[target.with_changes(operator=op, comparator=right)])
