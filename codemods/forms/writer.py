"""A status written to a session record: `entry["status"] = "failed"`, a dict
literal with a status key, `SessionRow(key, "killed")` (or `cls(key, "killed")`
in one of its class methods)."""

from __future__ import annotations

import libcst as cst

from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Scope, Verdict
from codemods.session_status import Plan, StatusRewriter
from migrator.findings import Confidence
from migrator.rules import Example, Rule

ORDER = 90

# A class built from sessions_list rows, constructed with a status in one of its class methods.
_BUILT = (
    "class Row:\n    def __init__(self, key, status):\n        self.key, self.status = key, status\n\n"
    "    @classmethod\n    def stopped(cls, key):\n        return cls(key, \"{}\")\n\n\n"
    "data = client.invoke(\"sessions_list\", {{}})\nrows = [Row(r[\"key\"], r[\"status\"]) for r in data[\"sessions\"]]\n"
)

RULE = Rule(
    name="status-writer",
    summary="A status assigned to a session record (`entry[\"status\"] = \"failed\"`).",
    why="Writers must keep old names while an old gateway may read the data, "
    "and switch to new names once the window closes.",
    safety="Left alone in expand (noted as contract pending); rewritten in contract.",
    invalid=(
        Example(
            'store = load("sessions.json")\nfor key, entry in store.items():\n    entry["status"] = "killed"\n',
            None,
            'store = load("sessions.json")\nfor key, entry in store.items():\n    entry["status"] = "halted"\n',
        ),
        Example(_BUILT.format("killed"), None, _BUILT.format("halted")),
    ),
    valid=(Example('task = {}\ntask["status"] = "failed"\n'),),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    copies: set[int] | None = None
    in_stores: dict[int, Verdict] | None = None
    # The statuses the records of each list of dict literals hold.
    beside: dict[int, set[str]] = {}
    for target, literal, _, kind in facts.writers:
        if kind == "dict" and id(target) in facts.records:
            beside.setdefault(facts.records[id(target)], set()).add(string_value(literal) or "")
    for target, literal, scope, kind in facts.writers:
        value = string_value(literal)
        if value not in rw.vocab.old or kind == "default":
            continue
        if kind == "dict" and beside.get(facts.records.get(id(target), 0), set()) & resolver.foreign_words:
            continue  # [{"status": "in_progress"}, {"status": "done"}]: records of another vocabulary
        if kind == "dict":
            # `row.model_copy(update={...})` of a session row: the copy form's.
            from codemods.forms.copy_writer import update_dicts
            copies = update_dicts(facts, resolver) if copies is None else copies
            if id(target) in copies:
                continue
            # `r.hset(KEY, mapping={...})` of a stored copy of rows: the store form's.
            from codemods.forms.store_writer import stored_dicts
            in_stores = stored_dicts(facts, resolver) if in_stores is None else in_stores
            if id(target) in in_stores:
                continue
            evidence = resolver.module_evidence
            if not evidence:
                continue  # {"status": "done"} in code that never talks to OpenClaw: a record of its own
            verdict = Verdict("possible", f"a dict literal with a status key; module talks to OpenClaw ({evidence[0]})")
        else:
            stored = stored_verdict(resolver, target, scope, value, "assigned to")
            if stored is None:
                continue
            verdict = stored
        write(rw, facts, plan, literal, verdict, RULE.name)
    # SessionRow(key, "killed") where SessionRow carries session statuses.
    for call, scope in facts.all_calls:
        found = resolver.constructed_status(call, scope)
        if found is None or string_value(found[0]) not in rw.vocab.old:
            continue
        literal, origin, _name = found
        confidence: Confidence = "certain" if origin.strength == "strong" else "possible"
        write(rw, facts, plan, literal, Verdict(confidence, f"the status of {origin.why}"), RULE.name)


def stored_verdict(
    resolver: Resolver, target: cst.BaseExpression, scope: Scope, value: str, verb: str
) -> Verdict | None:
    """The verdict of a status stored (or defaulted) into ``target``: None
    when ``target`` holds no session status."""
    subject = resolver.subject(target, scope)
    if subject is None:
        return None
    verdict = resolver.verdict(subject, [value], verb)
    return verdict if verdict.confidence is not None else None


def write(
    rw: StatusRewriter, facts: ModuleFacts, plan: Plan, literal: cst.SimpleString, verdict: Verdict, rule: str,
    held: bool = False,
) -> None:
    """Plan a written status: kept in expand (noted as contract pending),
    renamed in contract unless ``held`` (left for review there)."""
    line = facts.pos(literal).start.line
    due = rw.allowed(verdict) and not rw.ignored(facts, line)
    # Writers keep old names while old gateways still read the data: in
    # expand, keeping it is all there is to do (contract pending).
    rewrite = rw.phase == "contract" and due and not held
    rw.add(plan, facts, literal, line, [literal], verdict, rule, rewrite, "literal", kept=rw.phase == "expand" and due)
