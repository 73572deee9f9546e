"""Module constants of old names (`TERMINAL = ("done", "failed")`), judged by their uses.

A constant whose every use is a session test is rewritten like its uses;
one shared with other code is expanded and reviewed in contract, naming the
uses that disagree. A dict constant is a dispatch table."""

from __future__ import annotations

import libcst as cst

from codemods.forms._common import ROWS as _ROWS
from codemods.forms._items import item_uses
from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Verdict
from codemods.session_status import SHARED, Plan, StatusRewriter
from migrator.rules import Example, Rule
from codemods.forms.dispatch import plan_table
from codemods.forms.writer import write
from codemods.provenance import Comparison, collection_elements, union_components, union_literals
from migrator.findings import CONFIDENCES

ORDER = 50

RULE = Rule(
    name="status-constant",
    summary="A module constant of old names used in a session-status test.",
    why="Terminal-status tuples are defined once and used in polling loops; "
    "the definition is where the names must change.",
    safety="Rewritten like a membership collection when every use is a session test. A "
    "constant shared with other code (`job[\"state\"] in FINISHED`) is expanded, since the new "
    "names harm no other vocabulary, and listed for review in contract, naming the uses that "
    "disagree: split it (`SESSION_FINISHED = ...`) for the session uses first. A table's old key looked "
    "up by hand in its own module (`TOPIC[\"failed\"]`) is kept in expand (the key is still there) and "
    "renamed with the table in contract; looked up in another module, it keeps the table for review in "
    "contract.",
    invalid=(
        Example(
            'TOPIC = {"done": "s.done", "failed": "s.failed"}\n' + _ROWS
            + '    print(TOPIC.get(row["status"]), TOPIC["failed"])\n',
            'TOPIC = {"done": "s.done", "agent_responded": "s.done", "failed": "s.failed", "interrupted": "s.failed"}\n'
            + _ROWS + '    print(TOPIC.get(row["status"]), TOPIC["failed"])\n',
            'TOPIC = {"agent_responded": "s.done", "interrupted": "s.failed"}\n' + _ROWS
            + '    print(TOPIC.get(row["status"]), TOPIC["interrupted"])\n',
        ),
        Example(
            'TERMINAL = ("done", "failed")\n' + _ROWS + '    if row["status"] in TERMINAL:\n        pass\n',
            'TERMINAL = ("done", "agent_responded", "failed", "interrupted")\n'
            + _ROWS + '    if row["status"] in TERMINAL:\n        pass\n',
            'TERMINAL = ("agent_responded", "interrupted")\n'
            + _ROWS + '    if row["status"] in TERMINAL:\n        pass\n',
        ),
    ),
    valid=(
        Example('TERMINAL = ("done", "failed")\n\ndef over(job):\n    return job.state in TERMINAL\n'),
    ),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    """Every use of a module constant in a status test or a table lookup
    (a session one or not), then the constants those uses judge."""
    for comparison in facts.comparisons:
        other = comparison.other
        if resolver.literal_words(other) is not None or isinstance(other, cst.Dict):
            continue
        if resolver.union_constant(other, comparison.scope) is not None:
            _union_use(rw, facts, resolver, plan, comparison)
            continue
        constant = resolver.module_constant(other, comparison.scope)
        if constant is None:
            continue
        if isinstance(constant[1], cst.SimpleString) and not isinstance(comparison.op, (cst.Equal, cst.NotEqual)):
            continue  # `x in NAME` of a string tests a substring, not a status
        literal_words = resolver.literal_words(constant[1])
        if literal_words is None or not (set(literal_words) & rw.vocab.old):
            continue
        line = facts.pos(other).start.line
        subject = resolver.subject(comparison.subject, comparison.scope)
        if subject is None:
            # `job["state"] in FINISHED`: a use by another vocabulary.
            verdict = Verdict(None, f"`{resolver.code(comparison.subject)}` (line {line}) is not a session status")
        else:
            verdict = resolver.verdict(subject, literal_words)
            if verdict.confidence is None:
                verdict = Verdict(None, f"{verdict.why} (line {line})")
        plan.constant_uses.setdefault(constant[0], []).append(verdict)
        plan.sinks.add(id(other))
    _table_uses(rw, facts, resolver, plan)
    item_uses(facts, resolver, plan)
    _plan(rw, facts, plan)


def _union_use(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan, comparison: Comparison) -> None:
    """A test with a union of constants (``row["status"] in ALL``, ``ALL =
    DONE_STATES | FAIL_STATES``) is a use of each of its constants: their
    literals change where they are defined (here, or in the module they are
    imported from, which learns of it through :meth:`StatusRewriter.imported_uses`)."""
    union = resolver.union_constant(comparison.other, comparison.scope)
    if union is None or not isinstance(comparison.op, (cst.In, cst.NotIn)):
        return
    name, components = union
    plan.sinks.add(id(comparison.other))
    union_uses(facts, resolver, plan, name, components, resolver.union_verdict(comparison, name))


def union_uses(
    facts: ModuleFacts, resolver: Resolver, plan: Plan, name: str, components: list[cst.Name], verdict: Verdict
) -> None:
    """Record a test of the union ``name`` (judged ``verdict``) as a use of
    its own literals and of each constant it unites, through unions of unions."""
    module_scope = facts.module_scope
    assert module_scope is not None
    # The union's own literals (`BROKEN | {"done", "killed"}`) are used with it.
    if union_literals(facts.constants[name]):
        plan.constant_uses.setdefault(name, []).append(verdict)
    seen = {name}
    while components:
        component = components.pop()
        if component.value in seen:
            continue
        seen.add(component.value)
        if resolver.module_constant(component, module_scope) is not None:
            plan.constant_uses.setdefault(component.value, []).append(verdict)
            plan.sinks.add(id(component))
            continue
        inner = resolver.union_constant(component, module_scope)
        if inner is not None:  # a union of a union: `KNOWN = ENDED | BUSY`
            plan.sinks.add(id(component))
            if union_literals(facts.constants[inner[0]]):
                plan.constant_uses.setdefault(inner[0], []).append(verdict)
            components += inner[1]


def _table_uses(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for dispatch in facts.dispatches:
        constant = resolver.module_constant(cst.Name(dispatch.table), dispatch.scope)
        if constant is None or not isinstance(constant[1], cst.Dict):
            continue
        words = resolver.literal_words(constant[1]) or []
        if not (set(words) & rw.vocab.old):
            continue
        subject = resolver.subject(dispatch.key, dispatch.scope)
        if dispatch.node is not None:
            plan.sinks.add(id(dispatch.node))
        if subject is not None:
            plan.constant_uses.setdefault(dispatch.table, []).append(resolver.verdict(subject, words, "keyed by"))
        else:
            plan.constant_uses.setdefault(dispatch.table, []).append(
                Verdict(None, f"`{resolver.code(dispatch.key)}` (line {dispatch.line or facts.pos(dispatch.key).start.line}) "
                        "is not a session status")
            )


def _plan(rw: StatusRewriter, facts: ModuleFacts, plan: Plan) -> None:
    remote = {n: list(v) for n, v in rw.remote_uses.items()}
    # A union defined here and tested in another module: its uses are its
    # constants' (and, through a union of unions, theirs).
    for name, uses in rw.remote_uses.items():
        stack, seen = [name], {name}
        while stack:
            union = stack.pop()
            value = facts.constants.get(union)
            if value is None or isinstance(value, cst.Name):
                continue
            for component in union_components(value) or ():
                if component.value in facts.constants and component.value not in seen:
                    seen.add(component.value)
                    remote.setdefault(component.value, []).extend(
                        Verdict(v.confidence, f"through `{union}`: {v.why}" if v.confidence else v.why) for v in uses
                    )
                    plan.sinks.add(id(component))
                    stack.append(component.value)
    names = set(plan.constant_uses) | {n for n in remote if n in facts.constants}
    # `TOPIC["failed"]` of a table of old keys: a lookup of one status's entry, no other use.
    keyed: dict[str, list[cst.SimpleString]] = {}
    looked_up: set[int] = set()
    for _, holder, looked, scope in facts.literal_lookups:
        if isinstance(holder, cst.Name) and isinstance(facts.constants.get(holder.value), cst.Dict) \
                and scope.owner_of(holder.value) is facts.module_scope:
            keyed.setdefault(holder.value, []).append(looked)
            looked_up.add(id(holder))
    for name in sorted(names):
        value = facts.constants[name]
        local = plan.constant_uses.get(name, [])
        verdicts = [*local, *remote.get(name, [])]
        words = set(_words(value))
        if not verdicts or not (words & rw.vocab.old):
            continue
        against = [v for v in verdicts if v.confidence is None]
        if len(against) == len(verdicts):
            continue  # only ever used with another vocabulary: not ours
        against += [
            Verdict(None, f"`{name}` is also used at line {facts.pos(n).start.line} outside a status test")
            for n in facts.mentions.get(name, [])
            if id(n) not in facts.targets and id(n) not in plan.sinks and id(n) not in looked_up
        ]
        where = "" if local else " in another module"
        ours = [v for v in verdicts if v.confidence is not None]
        lowest = min(ours, key=lambda v: CONFIDENCES.index(v.confidence))  # type: ignore[arg-type,unused-ignore]
        verdict = Verdict(lowest.confidence, f"constant `{name}` is used in a status test{where}: {lowest.why}")
        shared = False
        if against:
            # Shared with another vocabulary: the new names are harmless
            # to it, so expand adds them; contract would drop names the
            # other code still needs, so a person splits the constant.
            shared = rw.phase == "contract"
            disagree = "; ".join(v.why for v in against[:3])
            verdict = Verdict(
                verdict.confidence,
                f"{verdict.why}; but the constant is shared with other code ({disagree})"
                + (f": split it (`SESSION_{name} = ...` for the session uses) before contract" if shared else
                   "; contract will need it split"),
            )
        fixed = plan.fixed_length.get(name) if rw.phase == "expand" else None
        if fixed is not None:
            # A query binds it to placeholders written by hand: one more name breaks it.
            verdict, shared = Verdict(verdict.confidence, f"{verdict.why}; but {fixed}"), False
        line = facts.pos(value).start.line
        rewrite = rw.allowed(verdict) and not rw.ignored(facts, line) and not shared and fixed is None
        literals = union_literals(value)
        if literals:
            # `ENDED = BROKEN | {"done", "killed"}`: the literal part holds
            # statuses as the constants it unites do (those are judged as themselves).
            for literal in literals:
                _collection(rw, facts, plan, literal, line, verdict, rewrite, shared)
            continue
        if isinstance(value, cst.SimpleString):
            # One name cannot accept both: like a writer, it keeps the old
            # name in expand (listed) and takes the new one in contract.
            if rw.phase == "expand":
                verdict = Verdict(verdict.confidence, f"{verdict.why}; a single name holds one value: renamed in contract")
            write(rw, facts, plan, value, verdict, RULE.name, held=bool(against))
            continue
        if isinstance(value, cst.Dict):
            plan_table(rw, plan, facts, value, line, verdict, rewrite)
            for key in keyed.get(name, []):
                # `TOPIC["failed"]`: expand keeps the old key beside the new, so the
                # lookup still finds it; contract renames both together.
                shown = Verdict(verdict.confidence, f"an old key looked up in {verdict.why}")
                write(rw, facts, plan, key, shown, RULE.name,
                      held=not rewrite or string_value(key) in plan.held.get(id(value), frozenset()))
            continue
        _collection(rw, facts, plan, value, line, verdict, rewrite, shared)


def _collection(
    rw: StatusRewriter, facts: ModuleFacts, plan: Plan, value: cst.BaseExpression, line: int, verdict: Verdict,
    rewrite: bool, shared: bool, rule: str | None = None,
) -> None:
    rule = rule or ("status-set-call" if isinstance(value, cst.Call) else "status-constant")
    rw.add(plan, facts, value, line, rw.literals(value), verdict, rule, rewrite, "collection")
    if shared and rw.allowed(verdict) and not rw.ignored(facts, line):
        # Listed for review, yet given expand's edit: what contract after
        # expand leaves, so both orders give the same bytes.
        present = {string_value(x) for x in rw.literals(value)}
        if any(w in rw.vocab.old and rw.vocab.to_new(w) not in present for w in present if w):
            plan.edits[id(value)] = SHARED


def _words(node: cst.BaseExpression) -> list[str]:
    if isinstance(node, cst.SimpleString):
        return [string_value(node) or ""]
    if isinstance(node, cst.Dict):
        return [string_value(e.key) or "" for e in node.elements if isinstance(e, cst.DictElement)]
    literals = union_literals(node) or [node]
    return [string_value(e.value) or "" for literal in literals for e in (collection_elements(literal) or ())]
