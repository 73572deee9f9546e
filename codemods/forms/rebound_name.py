"""A plain name that holds a session status, rebound to an old name:
`st = row.get("status")`, then `if st is None and aborted: st = "killed"`.

The name is a write of the status it holds: what reads it next (a test, a
table lookup, a record built from it) reads the literal as the row's status.
It is judged by the name's other bindings in the same function: each must be
a status read (or another literal), and the lowest of their verdicts is its
own; a name also bound from anything else is of unknown origin and left."""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from codemods.forms.writer import write
from codemods.literals import string_value
from codemods.provenance import Binding, ModuleFacts, Resolver, Scope, Verdict, table_entries
from codemods.session_status import Plan, StatusRewriter
from migrator.findings import CONFIDENCES
from migrator.rules import Example, Rule

ORDER = 93  # beside the writers

_REBOUND = (
    'def shown(client):\n    data = client.invoke("sessions_list", {})\n    for row in data["sessions"]:\n'
    '        st = row.get("status")\n        if st is None and row.get("abortedLastRun"):\n'
    '            st = "OLD"\n        print(st)\n'
)

# Cleared, and translated by a table of the project's own spellings, between the read and the literal.
_TIDIED = (
    'ALIASES = {"stopped": "OLD"}\n\n\ndef shown(client):\n    data = client.invoke("sessions_list", {})\n'
    '    for row in data["sessions"]:\n        st = (row.get("status") or "").strip().lower()\n'
    '        st = ALIASES.get(st, st)\n        if st == "":\n            st = None\n'
    '        if st is None and row.get("abortedLastRun"):\n            st = "OLD"\n        print(st)\n'
)

RULE = Rule(
    name="status-rebound-name",
    summary="A name holding a session status, rebound to an old name (`st = \"killed\"` after `st = row[\"status\"]`).",
    why="What reads the name next reads the literal as the row's status: it is written as the row's status is.",
    safety="Left alone in expand (noted as contract pending), as a writer is; rewritten in contract. "
    "Only where every other binding of the name in its function is a status read, a literal, `None`, "
    "or the name translated by a table (`st = ALIASES.get(st, st)`), whose old values are written too.",
    invalid=(
        Example(_REBOUND.replace("OLD", "killed"), None, _REBOUND.replace("OLD", "halted")),
        Example(_TIDIED.replace("OLD", "killed"), None, _TIDIED.replace("OLD", "halted")),
    ),
    valid=(
        Example('def settle(job):\n    st = job.get("status")\n    if st is None:\n        st = "failed"\n'
                '    return st\n'),
        Example(_REBOUND.replace('"status"', '"kind"').replace("OLD", "done")),
        # Also bound from a call that is no status read: of unknown origin.
        Example(_TIDIED.replace("ALIASES.get(st, st)", "ALIASES.get(st, default)").replace("OLD", "killed")),
    ),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    scopes: dict[int, Scope] = {}
    for _, scope in facts.all_calls:
        scopes.setdefault(id(scope), scope)
    for comparison in facts.comparisons:
        scopes.setdefault(id(comparison.scope), comparison.scope)
    written: set[int] = set()
    for scope in scopes.values():
        if scope is facts.module_scope:
            continue  # a module-level name bound to a literal is a constant: the constant form's
        for name, bindings in scope.bindings.items():
            literals = [b.value for b in bindings if b.kind == "assign" and b.index is None
                        and isinstance(b.value, cst.SimpleString) and string_value(b.value) in rw.vocab.old]
            # `st = ALIASES.get(st, st)`: what the table gives is written as the status too.
            literals += _table_values(rw, resolver, scope, name, bindings)
            if not literals:
                continue
            verdict = _held(resolver, scope, name, bindings, [string_value(x) or "" for x in literals])
            if verdict is None:
                continue
            for literal in literals:
                assert isinstance(literal, cst.SimpleString)
                if id(literal) not in written:
                    written.add(id(literal))
                    write(rw, facts, plan, literal, verdict, RULE.name)


def _table_values(rw: StatusRewriter, resolver: Resolver, scope: Scope, name: str,
                  bindings: Sequence[Binding]) -> list[cst.SimpleString]:
    """The old names among the values of the module tables that translate
    ``name`` (``st = ALIASES.get(st, st)``)."""
    out: list[cst.SimpleString] = []
    for binding in bindings:
        table = _translated(binding.value, name) if binding.kind == "assign" else None
        constant = resolver.module_constant(table, scope) if table is not None else None
        entries = table_entries(constant[1]) if constant is not None else None
        out += [e.value for e in entries or () if isinstance(e.value, cst.SimpleString)
                and string_value(e.value) in rw.vocab.old]
    return out


def _held(resolver: Resolver, scope: Scope, name: str, bindings: Sequence[Binding], words: list[str]) -> Verdict | None:
    """The lowest verdict of the name's status reads, when every binding
    that is no string literal is one; None otherwise."""
    verdicts: list[Verdict] = []
    for binding in bindings:
        if binding.kind == "assign" and (isinstance(binding.value, cst.SimpleString) or _no_value(binding.value)
                                         or _translated(binding.value, name) is not None):
            continue
        if binding.kind not in ("assign", "walrus") or binding.value is None or binding.index is not None:
            return None
        read = resolver.subject(binding.value, scope)
        if read is None or not read.is_status or read.root is None:
            return None
        verdict = resolver.verdict(read, words, "rebound where it holds")
        if verdict.confidence is None:
            return None
        verdicts.append(verdict)
    if not verdicts:
        return None
    lowest = min(verdicts, key=lambda v: CONFIDENCES.index(v.confidence))  # type: ignore[arg-type,unused-ignore]
    return Verdict(lowest.confidence, f"`{name}` is rebound; it holds a status: {lowest.why}")


def _no_value(value: cst.BaseExpression | None) -> bool:
    """``st = None``: the name holds no status for a while, and no other value."""
    return isinstance(value, cst.Name) and value.value == "None"


def _translated(value: cst.BaseExpression | None, name: str) -> cst.BaseExpression | None:
    """The table of ``st = ALIASES.get(st, st)``: the name's own value, or
    what the table gives for it; the name holds what its other bindings say
    it does."""
    if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "get"):
        return None
    args = value.args
    if len(args) == 2 and all(isinstance(a.value, cst.Name) and a.value.value == name and not a.keyword
                              and not a.star for a in args):
        return value.func.value
    return None
