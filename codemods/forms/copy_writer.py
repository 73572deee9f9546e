"""A status written into a copy of a session row: pydantic's
`row.model_copy(update={"status": "killed"})`, `attrs.evolve(row, status="killed")`,
`dataclasses.replace(row, status="killed")` (under any alias) and a
NamedTuple's `row._replace(status="killed")`. Like the row's constructor, a
writer: kept in expand, renamed in contract. A copy of another vocabulary's
record (a job, a task) is left alone."""

from __future__ import annotations

from codemods.forms.writer import write
from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Verdict
from codemods.session_status import Plan, StatusRewriter
from migrator.findings import Confidence
from migrator.rules import Example, Rule

ORDER = 91

# Rows of sessions_list built as a dataclass, then copied with a new status.
_COPIED = (
    "from dataclasses import dataclass, replace as copy_with\n\n\n"
    "@dataclass\nclass Row:\n    key: str\n    status: str\n\n\n"
    "data = client.invoke(\"sessions_list\", {{}})\nrows = [Row(r[\"key\"], r[\"status\"]) for r in data[\"sessions\"]]\n"
    "stopped = [copy_with(row, status=\"{}\") for row in rows]\n"
)
_JOB = (
    "import attrs\n\n\n@attrs.define\nclass Job:\n    name: str\n    status: str\n\n\n"
    "def gave_up(job: Job) -> Job:\n    return attrs.evolve(job, status=\"failed\")\n"
)

RULE = Rule(
    name="status-copy-writer",
    summary="A status given to a copy of a session row (`dataclasses.replace(row, status=\"killed\")`).",
    why="A copy with an update writes the status as the row's constructor does: the old name "
    "must stay while an old gateway may read it, and become the new one after.",
    safety="Left alone in expand (noted as contract pending); rewritten in contract, only where the "
    "copied object is a session row.",
    invalid=(Example(_COPIED.format("killed"), None, _COPIED.format("halted")),),
    valid=(Example(_JOB),),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for call, scope in facts.all_calls:
        for literal, origin, _how in resolver.copied_statuses(call, scope):
            if string_value(literal) not in rw.vocab.old:
                continue
            confidence: Confidence = "certain" if origin.strength == "strong" else "possible"
            write(rw, facts, plan, literal, Verdict(confidence, f"the status of {origin.why}"), RULE.name)


def update_dicts(facts: ModuleFacts, resolver: Resolver) -> set[int]:
    """The ``update=`` dicts of copies judged by what they copy (here, not
    as a dict literal with a status key)."""
    out: set[int] = set()
    for call, scope in facts.all_calls:
        if resolver.copy_judged(call, scope):
            out |= {id(a.value) for a in call.args if a.keyword is not None and a.keyword.value == "update"}
    return out
