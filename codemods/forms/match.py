"""`match` on a session status with literal and `|` patterns, and class
patterns that test a status field (`case Row(status="done"):`)."""

from __future__ import annotations

import libcst as cst

from codemods.forms._common import ROWS as _ROWS
from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Verdict
from codemods.session_status import Plan, StatusRewriter
from migrator.rules import Example, Rule
from codemods.provenance import case_literals
from codemods.provenance.model import MatchStatement

ORDER = 60

# A session row class, and an exec process class of its own states.
_CLASSES = (
    'from dataclasses import dataclass\n\n\n@dataclass\nclass Row:\n    key: str\n    status: str\n'
    '    label: str = ""\n\n\n@dataclass\nclass Proc:\n    pid: int\n    status: str\n\n\n'
    'data = client.invoke("sessions_list", {})\nfor r in data["sessions"]:\n'
    '    row = Row(r["key"], r["status"])\n'
)

RULE = Rule(
    name="status-match",
    summary="`match` on a session status with literal and `|` patterns.",
    why="A `case \"done\":` never matches the new name a gateway sends after the rename.",
    safety="expand adds the new name as another alternative (`case \"done\" | \"agent_responded\":`); "
    "contract keeps only the new names; an `as` capture keeps its name. A case with a capture "
    "mixed in among the alternatives is listed for review. On a tuple (`match (before, row[\"status\"]):`) "
    "each item is judged on its own: the patterns at a session status's position are status patterns, "
    "those at another value's stay. A class pattern's status field (`case Row(status=\"done\")`) is judged "
    "by the class: a class whose instances are built from session rows makes its patterns status patterns, "
    "another class's (an exec process's) stay.",
    invalid=(
        Example(
            _ROWS + '    match row["status"]:\n        case "done" | "failed" as st:\n            print(st)\n',
            _ROWS + '    match row["status"]:\n        case "done" | "agent_responded" | "failed" | "interrupted" as st:\n'
            '            print(st)\n',
            _ROWS + '    match row["status"]:\n        case "agent_responded" | "interrupted" as st:\n            print(st)\n',
        ),
        Example(
            _ROWS + '    match row["status"]:\n        case "done":\n            pass\n        case _:\n            pass\n',
            _ROWS + '    match row["status"]:\n        case "done" | "agent_responded":\n            pass\n'
            '        case _:\n            pass\n',
            _ROWS + '    match row["status"]:\n        case "agent_responded":\n            pass\n'
            '        case _:\n            pass\n',
        ),
        Example(
            _ROWS + '    match row.get("status"):\n        case "running":\n            pass\n'
            '        case "failed" | "killed":\n            pass\n',
            _ROWS + '    match row.get("status"):\n        case "running":\n            pass\n'
            '        case "failed" | "interrupted" | "killed" | "halted":\n            pass\n',
            _ROWS + '    match row.get("status"):\n        case "running":\n            pass\n'
            '        case "interrupted" | "halted":\n            pass\n',
        ),
        Example(
            _CLASSES + '    match row:\n        case Row(status="done"):\n            pass\n'
            '        case Proc(status="failed") | Row(status="failed" | "killed"):\n            pass\n',
            _CLASSES + '    match row:\n        case Row(status="done" | "agent_responded"):\n            pass\n'
            '        case Proc(status="failed") | Row(status="failed" | "interrupted" | "killed" | "halted"):\n'
            '            pass\n',
            _CLASSES + '    match row:\n        case Row(status="agent_responded"):\n            pass\n'
            '        case Proc(status="failed") | Row(status="interrupted" | "halted"):\n            pass\n',
        ),
    ),
    valid=(
        Example(
            'reply = client.invoke("sessions_send", {})\nmatch reply["status"]:\n'
            '    case "ok":\n        pass\n    case "timeout":\n        pass\n'
        ),
        # A class no session row builds (its own states), and a field that is no status.
        Example(_CLASSES + '    match row:\n        case Proc(status="killed"):\n'
                '            pass\n        case Row(label="done"):\n            pass\n'),
    ),
)


def _plain(pattern: cst.MatchPattern) -> bool:
    """Whether a pattern is values alone (``"done"``, ``"done" | "failed"``,
    either under ``as``): the only patterns rewritten; one with a capture
    mixed in is listed for review."""
    values = pattern.pattern if isinstance(pattern, cst.MatchAs) and pattern.pattern is not None else pattern
    return isinstance(values, cst.MatchValue) or isinstance(values, cst.MatchOr) and all(
        isinstance(p.pattern, cst.MatchValue) for p in values.patterns)


def _sequences(pattern: cst.MatchPattern, size: int) -> list[cst.MatchSequence]:
    """The sequence patterns of ``size`` items a case tests: the pattern
    itself, its alternatives, or what its ``as`` names."""
    if isinstance(pattern, cst.MatchAs) and pattern.pattern is not None:
        return _sequences(pattern.pattern, size)
    if isinstance(pattern, cst.MatchOr):
        return [seq for element in pattern.patterns for seq in _sequences(element.pattern, size)]
    if isinstance(pattern, (cst.MatchTuple, cst.MatchList)) and len(pattern.patterns) == size and all(
            isinstance(p, cst.MatchSequenceElement) for p in pattern.patterns):
        return [pattern]
    return []


def _positions(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan, match: MatchStatement) -> None:
    """``match (before.status, after.status):``: each item of the subject
    that is a session status makes the patterns at its position status
    patterns (``case ("running", "done"):``); the other items' patterns stay."""
    assert isinstance(match.subject, cst.Tuple)
    items = match.subject.elements
    if any(isinstance(item, cst.StarredElement) for item in items):
        return
    for index, item in enumerate(items):
        at = [(case, seq.patterns[index].value) for case in match.node.cases  # type: ignore[union-attr]
              for seq in _sequences(case.pattern, len(items))]
        words = [string_value(lit) or "" for _, pattern in at for lit in case_literals(pattern)]
        if not (set(words) & rw.vocab.old):
            continue
        subject = resolver.subject(item.value, match.scope)
        verdict = resolver.verdict(subject, words, "matched on") if subject is not None else None
        if verdict is None or verdict.confidence is None:
            continue
        for case, pattern in at:
            group = case_literals(pattern)
            if not any(string_value(lit) in rw.vocab.old for lit in group):
                continue
            line = facts.pos(case).start.line
            rewrite = _plain(pattern) and rw.allowed(verdict) and not rw.ignored(facts, line)
            rw.add(plan, facts, pattern, line, group, verdict, "status-match", rewrite, "pattern")


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for match in facts.matches:
        _class_patterns(rw, facts, resolver, plan, match)
        if isinstance(match.subject, cst.Tuple):
            _positions(rw, facts, resolver, plan, match)
            continue
        literals = {id(case): case_literals(case.pattern) for case in match.node.cases}
        words = [string_value(lit) or "" for group in literals.values() for lit in group]
        if not (set(words) & rw.vocab.old):
            continue
        subject = resolver.subject(match.subject, match.scope)
        if subject is None:
            continue
        verdict = resolver.verdict(subject, words, "matched on")
        if verdict.confidence is None:
            continue
        for case in match.node.cases:
            group = literals[id(case)]
            if not any(string_value(lit) in rw.vocab.old for lit in group):
                continue
            line = facts.pos(case).start.line
            # A capture or guard mixed in: a person writes the new pattern.
            rewrite = _plain(case.pattern) and rw.allowed(verdict) and not rw.ignored(facts, line)
            rw.add(plan, facts, case.pattern, line, group, verdict, "status-match", rewrite, "pattern")


def _class_fields(pattern: cst.MatchPattern) -> list[tuple[str, cst.MatchKeywordElement]]:
    """The class patterns a case tests, as (class, keyword pattern) pairs:
    in the pattern itself, its alternatives, or what its ``as`` names."""
    if isinstance(pattern, cst.MatchAs) and pattern.pattern is not None:
        return _class_fields(pattern.pattern)
    if isinstance(pattern, cst.MatchOr):
        return [pair for element in pattern.patterns for pair in _class_fields(element.pattern)]
    if isinstance(pattern, cst.MatchClass) and isinstance(pattern.cls, cst.Name):
        return [(pattern.cls.value, keyword) for keyword in pattern.kwds]
    return []


def _class_patterns(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan,
                    match: MatchStatement) -> None:
    """``case Row(status="done"):``: the field of a class whose instances
    carry session statuses is a status pattern. Judged by the class alone
    (the pattern matches only its instances), as a test of ``row.status``
    is judged by what built ``row``."""
    for case in match.node.cases:
        for cls, keyword in _class_fields(case.pattern):
            group = case_literals(keyword.pattern)
            if keyword.key.value not in facts.attributes or not any(string_value(x) in rw.vocab.old for x in group):
                continue
            origin = resolver.class_origin(cls)
            if origin is None or origin.kind != "session" or origin.strength != "strong":
                continue
            verdict = Verdict("certain", f"`{cls}({keyword.key.value}=...)` matches {origin.why}")
            line = facts.pos(case).start.line
            rewrite = _plain(keyword.pattern) and rw.allowed(verdict) and not rw.ignored(facts, line)
            rw.add(plan, facts, keyword.pattern, line, group, verdict, "status-match", rewrite, "pattern")
