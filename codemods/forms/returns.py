"""A function that returns an old name, in a module that talks to OpenClaw."""

from __future__ import annotations

import libcst as cst

from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver
from codemods.session_status import CodeFinding, Plan, StatusRewriter
from migrator.rules import Example, Rule

ORDER = 120

RULE = Rule(
    name="status-return",
    summary="A function that returns an old name, in a module that talks to OpenClaw.",
    why="Mapping functions turn other codes into session statuses; whether a caller compares "
    "the result with a session status or stores it elsewhere decides the fix.",
    safety="Never rewritten: listed for review.",
    invalid=(
        Example(
            'import openclaw\n\ndef status_for(code):\n    return "done" if code == 0 else "failed"\n'
        ),
    ),
    valid=(Example('def state_for(code):\n    return "done" if code == 0 else "failed"\n'),),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    """Listed for review only: whether callers compare the result with a
    session status or store it elsewhere decides the fix."""
    evidence = resolver.module_evidence
    if not evidence:
        return
    for literal, function, _ in facts.returns:
        value = string_value(literal) or ""
        start = facts.pos(literal).start
        if (start.line, start.column + 1) in plan.statement_line:
            continue  # judged by another form (a returned status every caller writes)
        if _returned_words(facts, function) & resolver.foreign_words:
            continue  # it also returns another vocabulary's words (a task board's "review")
        why = (f"`{function}` returns a status word; its callers decide what it means; "
               f"module talks to OpenClaw ({evidence[0]})")
        plan.findings.append(
            CodeFinding(start.line, start.column + 1, value, rw.vocab.to_new(value), "possible", False, RULE.name, why)
        )


def _returned_words(facts: ModuleFacts, function: str) -> set[str]:
    """The words a function returns as literals (both arms of ``a if c else b``)."""
    words: set[str] = set()
    for value, _ in facts.function_returns.get(function, []):
        for arm in (value.body, value.orelse) if isinstance(value, cst.IfExp) else (value,):
            word = string_value(arm) if isinstance(arm, cst.SimpleString) else None
            if word:
                words.add(word)
    return words
