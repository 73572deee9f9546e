"""A collection of old names that reaches a session-status test through a
local, a parameter or a command-line option's ``choices``.

``bad = set(BROKEN)``, ``bad.add("killed")``, then ``row.get("status") in bad``:
the literals that reach ``bad`` (see :mod:`codemods.members`) are rewritten as
a collection written in the test would be; a constant among them is a use of
the constant in that test, judged with its other uses by the constant form.
An object's collection counts too: ``self.targets = tuple(targets)`` in its
``__init__``, tested in a method, is what the calls of its class pass for
``targets`` (in any module of the project), and a class's own ``ENDED``
bound whole to placeholders generated from it is tested in the query."""

from __future__ import annotations

import libcst as cst

from codemods.forms.constant import _collection, union_uses
from codemods.members import Member, Members, literals_of
from codemods.provenance import Comparison, ModuleFacts, Resolver, Scope, Verdict
from codemods.provenance.nodes import _only_looked_up
from codemods.provenance.known import tree_get
from codemods.session_status import GROWN, Plan, StatusRewriter
from codemods.words import COLLECTION_EXPORT
from migrator.findings import CONFIDENCES
from migrator.rules import Example, Rule

_HEAD = 'data = client.invoke("sessions_list", {})\n\n\ndef broken(rows, strict):\n'
_TAIL = '    return [r for r in rows if r["status"] in bad]\n\n\nprint(broken(data["sessions"], True))\n'
_SENSOR = (
    'class Sensor:\n    def __init__(self, client, targets={}):\n        self.client = client\n'
    '        self.targets = tuple(targets)\n\n    def ready(self):\n'
    '        rows = self.client.invoke("sessions_list", {{}})["sessions"]\n'
    '        return [r["key"] for r in rows if r["status"] in self.targets]\n\n\n'
    'late = Sensor(client, {})\n'
)
_TALLY = (
    "class Tally:\n    ENDED = [{}]\n\n    def counts(self, con):\n"
    "        marks = \", \".join(\"?\" for _ in self.ENDED)\n"
    "        return con.execute(f\"SELECT status, COUNT(*) FROM {} WHERE status IN ({{marks}}) GROUP BY status\", "
    "self.ENDED).fetchall()\n"
)

ORDER = 45  # before the constant form, which judges the constants these tests use

RULE = Rule(
    name="status-held-collection",
    summary="Old names that reach a session-status test through a local, a parameter or an option's `choices`.",
    why="A status test is often written against a name (`row[\"status\"] in bad`) that a local, a "
    "parameter or a command-line option fills: the names must change where they are written.",
    safety="Each literal collection, `.add(...)` / `.update(...)` and `choices=[...]` that flows into "
    "the tested name is edited like a membership collection (expand adds the new names, contract keeps "
    "only them; `.add(\"killed\")` becomes `.update((\"killed\", \"halted\"))` in expand). Constants it "
    "copies are judged with their other uses. One also tested against another vocabulary's values is "
    "expanded and listed for review in contract.",
    invalid=(
        Example(
            _HEAD + '    bad = set(("failed", "timeout"))\n    if strict:\n        bad.add("killed")\n' + _TAIL,
            _HEAD + '    bad = set(("failed", "interrupted", "timeout", "waiting_for_response"))\n    if strict:\n'
            '        bad.update(("killed", "halted"))\n' + _TAIL,
            _HEAD + '    bad = set(("interrupted", "waiting_for_response"))\n    if strict:\n        bad.add("halted")\n'
            + _TAIL,
        ),
        # Kept by an object: passed to its class's constructor, tested in a method.
        Example(_SENSOR.format('("done",)', '("failed", "timeout")'),
                _SENSOR.format('("done", "agent_responded",)',
                               '("failed", "interrupted", "timeout", "waiting_for_response")'),
                _SENSOR.format('("agent_responded",)', '("interrupted", "waiting_for_response")')),
        # A class's own collection, bound whole to placeholders generated from it (status-sql-parameter).
        Example(_TALLY.format('"done", "killed"', "session_windows"),
                _TALLY.format('"done", "agent_responded", "killed", "halted"', "session_windows"),
                _TALLY.format('"agent_responded", "halted"', "session_windows")),
    ),
    valid=(
        Example(_TALLY.format('"done", "killed"', "jobs")),
        Example("def settled(jobs):\n    over = ('done', 'failed')\n    return [j for j in jobs if j['state'] in over]\n"),
        Example("class Watch:\n    def __init__(self, states=('done',)):\n        self.states = set(states)\n\n"
                "    def over(self, jobs):\n        return [j for j in jobs if j['state'] in self.states]\n\n\n"
                "w = Watch(('failed', 'timeout'))\n"),
    ),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    """Every membership test against a collection that is neither written
    in it nor a module constant named there, and what reaches it."""
    members = Members(resolver)
    reached: dict[int, tuple[Member, list[Verdict]]] = {}
    for comparison in facts.comparisons:
        other = comparison.other
        if not isinstance(comparison.op, (cst.In, cst.NotIn)) or comparison.through is not None:
            continue
        if resolver.literal_words(other) is not None or isinstance(other, cst.Dict):
            continue  # the membership forms
        if resolver.module_constant(other, comparison.scope) or resolver.union_constant(other, comparison.scope):
            continue  # the constant form
        function = comparison.scope.node
        if isinstance(function, cst.FunctionDef) and function.name.value in facts.validators:
            continue  # a validating helper's own test: the validator form judges each of its calls
        found = members.of(other, comparison.scope)
        if any(m.kind == "table" for m in found) and not _only_tables(resolver, other, comparison.scope):
            found = [m for m in found if m.kind != "table"]
        words = [w for m in found for w in _words(members, resolver, m)]
        if not set(words) & rw.vocab.old:
            continue
        _reach(facts, resolver, plan, reached, found, _verdict(resolver, comparison, words))
    # `stale(store, DEAD)` where another module's `stale` tests its parameter.
    validated = {id(c.node) for c in facts.comparisons if c.through is not None}  # the validator form's
    for call, scope in facts.all_calls if resolver.tree.exports else ():
        if id(call) in validated:
            continue
        for argument, verdict in tested_arguments(resolver, call):
            found = [m for m in members.of(argument, scope) if m.kind != "table"]
            foreign = sorted({w for m in found for w in _words(members, resolver, m)} & resolver.foreign_words)
            if foreign and verdict.confidence != "certain":
                # Of unknown origin there, and another vocabulary's word here:
                # as a test with these words would be judged.
                verdict = Verdict(None, f"{verdict.why}; also passed {', '.join(map(repr, foreign))}")
            _reach(facts, resolver, plan, reached, found, verdict)
    for member, verdicts in reached.values():
        _plan(rw, facts, plan, member, verdicts)


def _reach(
    facts: ModuleFacts, resolver: Resolver, plan: Plan, reached: dict[int, tuple[Member, list[Verdict]]],
    found: list[Member], verdict: Verdict,
) -> None:
    for member in found:
        if member.kind == "constant":
            _constant_use(facts, resolver, plan, member, verdict)
        elif member.kind in ("collection", "grown", "table"):
            reached.setdefault(id(member.node), (member, []))[1].append(verdict)


def tested_parameters(facts: ModuleFacts, resolver: Resolver) -> dict[str, str]:
    """``module.function#index`` and ``#name`` of each parameter of a
    module-level function that a session status is tested in (``st not in
    wanted``, or in a copy of it), for the modules that call it: what they
    pass is a session collection (see :data:`COLLECTION_EXPORT`)."""
    members = Members(resolver)
    out: dict[str, str] = {}
    where = resolver.tree.display or resolver.tree.module
    for comparison in facts.comparisons:
        other = comparison.other
        if not isinstance(comparison.op, (cst.In, cst.NotIn)) or comparison.through is not None:
            continue
        if resolver.literal_words(other) is not None or isinstance(other, cst.Dict):
            continue
        members.of(other, comparison.scope)
        if not members.parameters and not members.constructor_parameters:
            continue
        verdict = _verdict(resolver, comparison, [])
        if verdict.confidence is None:
            continue
        # A class's constructor is called by the class's name, without `self`.
        held = [(function.name.value, function, param, 0) for function, param in members.parameters]
        held += [(cls, function, param, 1) for cls, function, param in members.constructor_parameters]
        for called, function, param, skip in held:
            positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)][skip:]
            name = f"{resolver.tree.module}.{called}".lstrip(".")
            line = facts.pos(comparison.node).start.line
            why = f"{COLLECTION_EXPORT}{verdict.confidence}: `{called}()` tests it ({where}:{line}), {verdict.why}"
            keys = [param] + ([str(positional.index(param))] if param in positional else [])
            for key in keys:
                known = out.get(f"{name}#{key}")
                if known is None or export_rank(why) < export_rank(known):
                    out[f"{name}#{key}"] = why
    return out


def export_rank(why: str, marker: str = COLLECTION_EXPORT) -> int:
    """How sure an export ``marker + "confidence: why"`` is (higher: surer)."""
    confidence = why[len(marker):].split(":", 1)[0]
    return CONFIDENCES.index(confidence)


def tested_arguments(
    resolver: Resolver, call: cst.Call, marker: str = COLLECTION_EXPORT
) -> list[tuple[cst.BaseExpression, Verdict]]:
    """The arguments of ``call`` that a function of another module tests a
    session status in (exported under ``marker``), with that test's verdict."""
    name = cst.helpers.get_full_name_for_node(call.func) or ""
    full = resolver.absolute(name) if name else None
    if full is None or name.split(".", 1)[0] in resolver.facts.functions:
        return []  # this module's own functions are followed through their calls
    exports = resolver.tree.exports
    out: list[tuple[cst.BaseExpression, Verdict]] = []
    for index, arg in enumerate(call.args):
        if arg.star:
            break
        key = arg.keyword.value if arg.keyword is not None else str(index)
        why = tree_get(exports, f"{full}#{key}")
        if why is None or not why.startswith(marker):
            continue
        said, _, reason = why[len(marker):].partition(": ")
        confidence = next((c for c in CONFIDENCES if c == said), None)
        if confidence is None:
            continue
        line = resolver.facts.pos(call).start.line
        shown = name.rsplit(".", 1)[-1]
        out.append((arg.value, Verdict(confidence, f"passed to `{shown}()` at line {line}: {reason}")))
    return out


def _verdict(resolver: Resolver, comparison: Comparison, words: list[str]) -> Verdict:
    line = comparison.line or resolver.facts.pos(comparison.other).start.line
    shown = resolver.code(comparison.other)
    subject = resolver.subject(comparison.subject, comparison.scope)
    if subject is None:
        return Verdict(None, f"`{resolver.code(comparison.subject)}` (line {line}) is not a session status")
    verdict = resolver.verdict(subject, words)
    if verdict.confidence is None:
        return Verdict(None, f"{verdict.why} (line {line}, through `{shown}`)")
    return Verdict(verdict.confidence, f"through `{shown}` (line {line}): {verdict.why}")


def _words(members: Members, resolver: Resolver, member: Member) -> list[str]:
    if member.kind != "constant":
        return members.words(member)
    assert isinstance(member.node, cst.Name)
    scope = resolver.facts.module_scope
    assert scope is not None
    union = resolver.union_constant(member.node, scope)
    if union is None:
        return members.words(member)
    words: list[str] = []
    for component in union[1]:
        part = resolver.module_constant(component, scope)
        words += (resolver.literal_words(part[1]) or []) if part is not None else []
    return words


def _constant_use(facts: ModuleFacts, resolver: Resolver, plan: Plan, member: Member, verdict: Verdict) -> None:
    """A constant that reaches the test (``set(args.only or DEAD)``) is used
    in it: that mention is no use outside a status test."""
    assert isinstance(member.node, cst.Name)
    plan.sinks.add(id(member.node))
    scope = facts.module_scope
    assert scope is not None
    union = resolver.union_constant(member.node, scope)
    if union is not None and resolver.module_constant(member.node, scope) is None:
        union_uses(facts, resolver, plan, union[0], union[1], verdict)
    else:
        plan.constant_uses.setdefault(member.name, []).append(verdict)


def _plan(
    rw: StatusRewriter, facts: ModuleFacts, plan: Plan, member: Member, verdicts: list[Verdict], rule: str = RULE.name
) -> None:
    """Judge one collection with every test it reaches, as a constant is
    judged with its uses: one also tested against another vocabulary is
    expanded, and left for review in contract."""
    ours = [v for v in verdicts if v.confidence is not None]
    if not ours:
        return
    against = [v for v in verdicts if v.confidence is None]
    lowest = min(ours, key=lambda v: CONFIDENCES.index(v.confidence))  # type: ignore[arg-type,unused-ignore]
    why = f"{member.via}, {lowest.why}" if member.via else lowest.why
    shared = bool(against) and rw.phase == "contract"
    if against:
        why += f"; but it is also tested against other values ({'; '.join(v.why for v in against[:3])})" + (
            ": split it before contract" if shared else "; contract will need it split")
    verdict = Verdict(lowest.confidence, why)
    node = member.node
    assert isinstance(node, cst.BaseExpression)
    line = facts.pos(node).start.line
    rewrite = rw.allowed(verdict) and not rw.ignored(facts, line) and not shared
    if member.kind == "collection":
        _collection(rw, facts, plan, node, line, verdict, rewrite, shared, rule)
        return
    if member.kind == "table":
        _table(rw, facts, plan, node, line, verdict, rewrite)
        return
    literals = literals_of(member)
    rw.add(plan, facts, node, line, literals, verdict, rule, rewrite, GROWN)
    if shared and rw.allowed(verdict) and not rw.ignored(facts, line):
        present = {x.evaluated_value for x in literals}
        if any(w in rw.vocab.old and rw.vocab.to_new(str(w)) not in present for w in present):
            plan.edits[id(node)] = GROWN + "-shared"


def _only_tables(resolver: Resolver, other: cst.BaseExpression, scope: Scope) -> bool:
    """Whether the tested dict is only ever looked up (``T[k]``, ``T.get(k)``,
    ``k in T``): a local of its function, or an object's field over the
    module (``self.delays``). A counter (``counts[st] += 1``) or a dict that
    is iterated or printed is more than a table: its keys are output too."""
    if isinstance(other, cst.Name):
        owner = scope.owner_of(other.value)
        return owner is not None and isinstance(owner.node, cst.FunctionDef) and \
            _only_looked_up(owner.node, other.value, False)
    module = resolver.facts.module_scope
    if isinstance(other, cst.Attribute) and isinstance(other.value, cst.Name) and module is not None:
        return _only_looked_up(module.node, other.attr.value, True)
    return False


def _table(rw: StatusRewriter, facts: ModuleFacts, plan: Plan, node: cst.BaseExpression, line: int,
           verdict: Verdict, rewrite: bool) -> None:
    """A dict whose keys are tested (``row.get("status") in self.delays``):
    its keys change as a dispatch table's do, each new key beside the old
    one with the same value in expand."""
    from codemods.forms.dispatch import plan_table

    assert isinstance(node, cst.Dict)
    plan_table(rw, plan, facts, node, line, verdict, rewrite)


def imported_members(facts: ModuleFacts, resolver: Resolver) -> list[tuple[str, int, str, Verdict]]:
    """``(module, level, name, verdict)`` of each constant imported from
    another module that reaches a membership test here through a name
    (``late = tuple(STUCK)``, then ``row["status"] in late``): the defining
    module judges it with its other uses."""
    members = Members(resolver)
    out: list[tuple[str, int, str, Verdict]] = []
    for comparison in facts.comparisons:
        other = comparison.other
        if not isinstance(comparison.op, (cst.In, cst.NotIn)) or comparison.through is not None:
            continue
        if resolver.literal_words(other) is not None or isinstance(other, cst.Dict) or isinstance(other, cst.Name) and (
                other.value in facts.imported_names or resolver.module_constant(other, comparison.scope)):
            continue  # named in the test: asked as such
        found = [m for m in members.of(other, comparison.scope) if m.kind == "imported"]
        if not found:
            continue
        words = [w for m in members.of(other, comparison.scope) for w in _words(members, resolver, m)]
        verdict = _verdict(resolver, comparison, words)
        for member in found:
            module, level, name = facts.imported_names[member.name]
            # How it reaches the test (`the choices of `--state``) speaks first.
            said = Verdict(verdict.confidence, f"{member.via}, {verdict.why}") if member.via and verdict.confidence \
                else verdict
            out.append((module, level, name, said))
    return out
