"""`Literal[...]` annotations of session statuses."""

from __future__ import annotations

import libcst as cst

from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Verdict
from codemods.session_status import Plan, StatusRewriter
from migrator.rules import Example, Rule
from codemods.provenance import words_of

ORDER = 70

RULE = Rule(
    name="status-literal-type",
    summary="`Literal[...]` annotations of session statuses.",
    why="A type checker rejects the new names a gateway sends if the `Literal` lists only old ones.",
    safety="expand adds each new name after its old one; contract keeps only the new names. "
    "Only a `Literal` made of session words is touched; one mixed with other words is "
    "another vocabulary.",
    invalid=(
        Example(
            'import openclaw\nfrom typing import Literal\n\nSessionStatus = Literal["running", "done", "failed"]\n',
            'import openclaw\nfrom typing import Literal\n\nSessionStatus = Literal["running", "done", "agent_responded", '
            '"failed", "interrupted"]\n',
            'import openclaw\nfrom typing import Literal\n\nSessionStatus = Literal["running", "agent_responded", "interrupted"]\n',
        ),
        Example(
            'import openclaw, typing\n\nclass SessionRow(typing.TypedDict):\n    status: typing.Literal["killed"]\n',
            'import openclaw, typing\n\nclass SessionRow(typing.TypedDict):\n    status: typing.Literal["killed", "halted"]\n',
            'import openclaw, typing\n\nclass SessionRow(typing.TypedDict):\n    status: typing.Literal["halted"]\n',
        ),
    ),
    valid=(
        Example('from typing import Literal\n\nJobState = Literal["pending", "done", "failed"]\n'),
        # A name is no evidence: a project that never talks to OpenClaw has its own sessions.
        Example('from typing import Literal\n\nSessionStatus = Literal["running", "done", "failed"]\n'),
    ),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for annotation in facts.literal_types:
        literals = [e.slice.value for e in annotation.node.slice if isinstance(e.slice, cst.Index)]
        words = {string_value(lit) or "" for lit in literals}
        if not (words & rw.vocab.old):
            continue
        verdict = literal_verdict(rw, annotation.owner, words, resolver)
        if verdict is None:
            continue
        rewrite = rw.allowed(verdict) and not rw.ignored(facts, annotation.line)
        rw.add(
            plan, facts, annotation.node, annotation.line, literals, verdict,  # type: ignore[arg-type]
            "status-literal-type", rewrite, "literal-type",
        )


def literal_verdict(rw: StatusRewriter, owner: str, words: set[str], resolver: Resolver) -> Verdict | None:
    if words & rw.manifest.python.foreign_words or not words <= rw.vocab.all_values:
        return None  # mixed with other words: another vocabulary
    # A name (`SessionStatus`) is no evidence by itself: an unrelated
    # project has its own session statuses. The module must talk to OpenClaw.
    names = set(words_of(owner))
    described = f"`Literal` of session words annotating `{owner}`" if owner else "`Literal` of session words"
    together = len(words) >= 2
    evidence = resolver.module_evidence
    if evidence and ({"status", "state"} & names or together):
        return Verdict("likely", f"{described}; module talks to OpenClaw ({evidence[0]})")
    return None
