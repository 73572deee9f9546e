"""`Enum` classes whose members are session statuses."""

from __future__ import annotations

from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Verdict
from codemods.session_status import Plan, StatusRewriter
from migrator.rules import Example, Rule
from codemods.provenance import EnumClass

ORDER = 80

RULE = Rule(
    name="status-enum",
    summary="`Enum` classes whose members are session statuses.",
    why="`SessionStatus(row[\"status\"])` raises `ValueError` for a new name.",
    safety="An Enum value holds exactly one name, and adding members changes iteration and "
    "`len`, so expand lists the members for review (accepting both needs a `_missing_` "
    "hook a person writes). contract rewrites the values, unless the class already has a "
    "member with the new value (that would turn one member into an alias): review.",
    invalid=(
        Example(
            'from enum import Enum\n\nclass SessionStatus(str, Enum):\n    RUNNING = "running"\n'
            '    DONE = "done"\n\ndef states(gw):\n'
            '    return [SessionStatus(r["status"]) for r in gw.sessions_list()["sessions"]]\n',
            None,
            'from enum import Enum\n\nclass SessionStatus(str, Enum):\n    RUNNING = "running"\n'
            '    DONE = "agent_responded"\n\ndef states(gw):\n'
            '    return [SessionStatus(r["status"]) for r in gw.sessions_list()["sessions"]]\n',
        ),
        Example(
            'import openclaw\nfrom enum import Enum\n\nclass SessionStatus(Enum):\n    DONE = "done"\n'
            '    AGENT_RESPONDED = "agent_responded"\n',
        ),
    ),
    valid=(
        Example('from enum import Enum\n\nclass JobState(Enum):\n    DONE = "done"\n    QUEUED = "queued"\n'),
        # Another project's own session statuses: nothing ties them to OpenClaw.
        Example('from enum import StrEnum\n\nclass SessionStatus(StrEnum):\n    DONE = "done"\n'
                '    FAILED = "failed"\n'),
    ),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for enum in facts.enums:
        values = {string_value(lit) or "" for _, lit in enum.members}
        if not (values & rw.vocab.old):
            continue
        verdict = enum_verdict(rw, enum, values, facts, resolver)
        if verdict is None:
            continue
        for member, literal in enum.members:
            value = string_value(literal) or ""
            if value not in rw.vocab.old:
                continue
            line = facts.pos(literal).start.line
            if rw.phase == "expand":
                why = f"{verdict.why}; an Enum value holds one name, so accepting both needs a `_missing_` hook"
                rw.add(plan, facts, literal, line, [literal], Verdict(verdict.confidence, why),
                          "status-enum", False, "literal")
            elif rw.vocab.to_new(value) in values:
                why = f"{verdict.why}; `{enum.name}` already has the value `{rw.vocab.to_new(value)}`"
                rw.add(plan, facts, literal, line, [literal], Verdict(verdict.confidence, why),
                          "status-enum", False, "literal")
            else:
                rewrite = rw.allowed(verdict) and not rw.ignored(facts, line)
                rw.add(plan, facts, literal, line, [literal], verdict, "status-enum", rewrite, "literal")


def enum_verdict(rw: StatusRewriter, enum: EnumClass, values: set[str], facts: ModuleFacts, resolver: Resolver) -> Verdict | None:
    """An Enum is a session status where its values meet a session source
    (``SessionStatus(row["status"])`` on a session row) or where its module
    talks to OpenClaw; otherwise it is another project's own, left alone."""
    if values & rw.manifest.python.foreign_words or not values <= rw.vocab.all_values:
        return None
    for call, scope in facts.calls.get(enum.name, []):
        built = resolver.built_from(call, scope)
        if built is not None and built.kind == "session":
            line = facts.pos(call).start.line
            return Verdict("certain", f"Enum `{enum.name}` is built at line {line} from {built.why}")
    # Built from a session status in another module (`RunStatus(row["status"])`
    # after `from .vocab import RunStatus`): the project's exports say so.
    known = resolver.class_origin(enum.name)
    if known is not None and known.kind == "foreign":
        return None
    if known is not None and known.kind == "session" and known.strength == "strong":
        return Verdict("certain", f"Enum `{enum.name}` is {known.why}")
    evidence = resolver.module_evidence
    if evidence:
        return Verdict("likely", f"Enum `{enum.name}` of session words; module talks to OpenClaw ({evidence[0]})")
    return None
