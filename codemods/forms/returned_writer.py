"""Statuses a function returns, where every call of it in the module writes
the result into a session row: `entry["status"] = status_for(entry)`,
`entry.update(status=status_for(entry))`, or `new = status_for(entry)`,
tested only for `None`, then `entry["status"] = new`. Its literal returns are written statuses: kept in
expand, renamed in contract, as a writer is. A function whose result is
also compared, passed on or stored elsewhere is left to the return form
(listed for review)."""

from __future__ import annotations

import libcst as cst

from codemods.forms.writer import stored_verdict, write
from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Scope, Verdict
from codemods.session_status import Plan, StatusRewriter
from migrator.findings import CONFIDENCES
from migrator.rules import Example, Rule

ORDER = 92  # before the return form, which lists what is left for review

_BACKFILL = (
    'import json\n\n\ndef settled(entry):\n    if entry.get("status") or not entry.get("endedAt"):\n'
    '        return None\n    return "{}" if entry.get("abortedLastRun") else "{}"\n\n\n'
    'store = json.load(open("agents/main/sessions/sessions.json"))\nfor entry in store.values():\n'
    '    new = settled(entry)\n    if new is not None:\n        entry["status"] = new\n'
)
_DIRECT = (
    'data = client.invoke("sessions_list", {{}})\n\n\ndef stopped(row):\n    return "{}"\n\n\n'
    'for row in data["sessions"]:\n    row["status"] = stopped(row)\n'
)
# The same words returned for a job queue's records, and for a reply of sessions_send.
_JOBS = (
    'def settled(job):\n    return "killed" if job.get("cancelled") else "done"\n\n\n'
    'for job in queue.jobs():\n    job["status"] = settled(job)\n'
)
_REPLY = (
    'import json\n\n\ndef verdict(reply):\n    return "timeout" if reply.get("waited") else "done"\n\n\n'
    'reply = gateway.call("sessions_send", {"key": "agent:main:main"})\nreply["status"] = verdict(reply)\n'
    'print(json.dumps(reply))\n'
)
# Returned and compared: the caller decides (the return form lists it).
_COMPARED = (
    'import json\n\n\ndef settled(entry):\n    return "killed" if entry.get("abortedLastRun") else "done"\n\n\n'
    'store = json.load(open("agents/main/sessions/sessions.json"))\n'
    'for entry in store.values():\n    if settled(entry) == "killed":\n        entry["status"] = settled(entry)\n'
)

RULE = Rule(
    name="status-returned-writer",
    summary="Statuses a function returns, where each call of it writes the result into a session row.",
    why="A helper that decides a row's status (`entry[\"status\"] = settled(entry)`) writes the names "
    "it returns: they must stay old while an old gateway may read the rows, and become new after.",
    safety="Left alone in expand (noted as contract pending); rewritten in contract, only where every "
    "call of the function in its module stores the result as a session row's status (directly, or "
    "through a local tested only for `None`). A result also compared or used otherwise is listed "
    "for review by the return form.",
    invalid=(
        Example(_BACKFILL.format("killed", "done"), None, _BACKFILL.format("halted", "agent_responded")),
        Example(_DIRECT.format("killed"), None, _DIRECT.format("halted")),
    ),
    valid=(Example(_JOBS), Example(_REPLY), Example(_COMPARED)),
)


class _Parents(cst.CSTVisitor):
    """The parent of every node below a root, and its names as written."""

    def __init__(self) -> None:
        super().__init__()
        self.parent: dict[int, cst.CSTNode] = {}
        self.names: dict[str, list[cst.Name]] = {}
        self._stack: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._stack:
            self.parent[id(node)] = self._stack[-1]
        if isinstance(node, cst.Name):
            self.names.setdefault(node.value, []).append(node)
        self._stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()


def _none_test(node: cst.CSTNode, parent: cst.CSTNode | None) -> bool:
    """``new is None`` / ``new is not None``, or ``if new:``: a test that reads no status."""
    if isinstance(parent, cst.Comparison) and len(parent.comparisons) == 1:
        target = parent.comparisons[0]
        other = target.comparator if parent.left is node else parent.left
        return isinstance(target.operator, (cst.Is, cst.IsNot)) and isinstance(other, cst.Name) \
            and other.value == "None"
    return isinstance(parent, (cst.If, cst.While, cst.IfExp)) and getattr(parent, "test", None) is node


def _stored(
    resolver: Resolver, value: cst.CSTNode, scope: Scope, tree: _Parents, words: list[str]
) -> list[Verdict] | None:
    """The verdicts of the session-status writes ``value`` (a call, or a
    name bound to it) goes to; None when it goes anywhere else."""
    parents = tree.parent
    parent = parents.get(id(value))
    if isinstance(parent, cst.Arg) and parent.value is value and parent.keyword is not None \
            and parent.keyword.value in resolver.facts.keys:
        # entry.update(status=settled(entry)) writes as entry["status"] = ... does.
        call = parents.get(id(parent))
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "update":
            key = cst.SimpleString(repr(parent.keyword.value))
            written = cst.Subscript(call.func.value, [cst.SubscriptElement(cst.Index(key))])
            verdict = stored_verdict(resolver, written, scope, words[0], "written as")
            return [verdict] if verdict is not None else None
        return None
    if not isinstance(parent, cst.Assign) or parent.value is not value or len(parent.targets) != 1:
        return None
    target = parent.targets[0].target
    if resolver.facts.status_key_of(target) is not None:
        verdict = stored_verdict(resolver, target, scope, words[0], "written as")
        return [verdict] if verdict is not None else None
    if not isinstance(target, cst.Name) or not isinstance(value, cst.Call):
        return None
    owner = scope.owner_of(target.value)
    if owner is not scope or len(owner.bindings[target.value]) != 1:
        return None  # rebound: not only what the call returns
    verdicts: list[Verdict] = []
    for use in tree.names.get(target.value, []):
        if use is target:
            continue
        if _none_test(use, parents.get(id(use))):
            continue
        found = _stored(resolver, use, scope, tree, words)
        if found is None:
            return None
        verdicts += found
    return verdicts


def written_returns(facts: ModuleFacts, resolver: Resolver, function: str, words: list[str]) -> Verdict | None:
    """The verdict of ``function``'s returned statuses when every call of it
    in the module writes the result into a session row's status."""
    module = facts.module_scope
    calls = [(c, s) for c, s in facts.calls.get(function, [])
             if s.owner_of(function) is module and id(c) not in facts.stand_ins]
    if not calls or module is None:
        return None
    verdicts: list[Verdict] = []
    trees: dict[int, _Parents] = {}
    for call, scope in calls:
        if id(scope.node) not in trees:
            trees[id(scope.node)] = _Parents()
            scope.node.visit(trees[id(scope.node)])
        found = _stored(resolver, call, scope, trees[id(scope.node)], words)
        if not found:
            return None
        verdicts += found
    lowest = min(verdicts, key=lambda v: CONFIDENCES.index(v.confidence))  # type: ignore[arg-type,unused-ignore]
    line = facts.pos(calls[0][0]).start.line
    return Verdict(lowest.confidence, f"returned by `{function}()`, whose result line {line} stores: {lowest.why}")


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    by_function: dict[str, list[cst.SimpleString]] = {}
    for literal, function, scope in facts.returns:
        if string_value(literal) in rw.vocab.old and facts.functions.get(function) is scope.node \
                and scope.parent is facts.module_scope:
            by_function.setdefault(function, []).append(literal)
    for function, literals in by_function.items():
        verdict = written_returns(facts, resolver, function, [string_value(x) or "" for x in literals])
        if verdict is None:
            continue
        for literal in literals:
            write(rw, facts, plan, literal, verdict, RULE.name)
