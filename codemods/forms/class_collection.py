"""A collection held by a class attribute and tested in a method, where the
class, a subclass or a caller gives it its names.

``row.get("status") in self.statuses`` in a base class's method tests
whatever each subclass sets ``statuses`` to (``statuses: ClassVar[...] =
frozenset({"failed", "timeout"})``, in this module or another); ``s in
spec.restart_on``, where ``spec`` is typed with a dataclass, tests the field's
default (``restart_on: tuple[str, ...] = DEFAULT_RESTART_ON``) and what the
class is built with (``cls(..., restart_on=(*restart_on, "killed"))``).
The module that tests tells the project which attribute it tests and how
sure it is (``module.Class.attr#attr``, see :data:`COLLECTION_EXPORT`); the
modules that define the class or its subclasses rewrite the literals that
reach it, as a collection written in the test would be (constants among
them are judged with their other uses by the constant form)."""

from __future__ import annotations

from typing import Iterator

import libcst as cst

from codemods.forms.held_collection import _plan, _reach, _verdict
from codemods.members import Member, Members
from codemods.provenance import ModuleFacts, Resolver, Scope, Verdict
from codemods.provenance.known import select
from codemods.session_status import Plan, StatusRewriter
from codemods.words import ATTRIBUTE_EXPORT, COLLECTION_EXPORT, FOREIGN_EXPORT
from migrator.findings import CONFIDENCES
from migrator.rules import Example, Rule

ORDER = 47  # after the held collections, before the constant form

ATTRIBUTE = ATTRIBUTE_EXPORT

_BASE = (
    'import json\nimport subprocess\nfrom typing import ClassVar\n\n\nclass Watch:\n'
    '    wanted: ClassVar[frozenset[str]] = frozenset()\n\n    def hits(self):\n'
    '        out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True).stdout\n'
    '        return [r["key"] for r in json.loads(out)["sessions"] if r.get("status") in self.wanted]\n\n\n'
    'class Broken(Watch):\n    wanted = frozenset({{{}}})\n'
)
_JOBS = (
    'from typing import ClassVar\n\n\nclass Sweep:\n    over: ClassVar[tuple[str, ...]] = ()\n\n'
    '    def due(self, queue):\n        return [j.id for j in queue.jobs if j.get_status() in self.over]\n\n\n'
    'class Finished(Sweep):\n    over = ("done", "failed")\n'
)

RULE = Rule(
    name="status-class-collection",
    summary="Old names a class attribute holds, tested in a method against a session status "
    "(a subclass's override, a field's default, what the class is built with).",
    why="A check declared once in a base class (`row[\"status\"] in self.statuses`) is configured by "
    "each subclass, often in another module: the names must change where the subclass writes them.",
    safety="Only an attribute a method tests against a session status (as the module that tests it "
    "judges it) is followed: each literal collection that reaches it is edited like a membership "
    "collection, constants it names are judged with their other uses, and an attribute also tested "
    "against another vocabulary's values is expanded and listed for review in contract.",
    invalid=(
        Example(_BASE.format('"failed", "timeout"'),
                _BASE.format('"failed", "interrupted", "timeout", "waiting_for_response"'),
                _BASE.format('"interrupted", "waiting_for_response"')),
    ),
    valid=(
        Example(_JOBS),
    ),
)


def tested_attributes(facts: ModuleFacts, resolver: Resolver) -> dict[str, str]:
    """``module.Class.attr#attr`` of each attribute of a class of the project
    (this module's, or one it imports) that a method here tests a session
    status in (``st in self.statuses``, ``s in spec.restart_on``), with the
    least sure of those tests' verdicts; none for an attribute one of them
    tests against another vocabulary."""
    found: dict[str, list[Verdict]] = {}
    where = resolver.tree.display or resolver.tree.module
    for comparison in facts.comparisons:
        other = comparison.other
        if not isinstance(comparison.op, (cst.In, cst.NotIn)) or comparison.through is not None:
            continue
        if not (isinstance(other, cst.Attribute) and isinstance(other.value, cst.Name)):
            continue
        cls = resolver.instance_class(other.value, comparison.scope)
        full = _class_name(resolver, cls) if cls is not None else None
        if full is None:
            continue
        verdict = _verdict(resolver, comparison, [])
        line = facts.pos(comparison.node).start.line
        shown = Verdict(verdict.confidence, f"`{resolver.code(other)}` is tested at {where}:{line}, {verdict.why}")
        found.setdefault(f"{full}.{other.attr.value}{ATTRIBUTE}", []).append(shown)
    out: dict[str, str] = {}
    for key, verdicts in found.items():
        against = next((v for v in verdicts if v.confidence is None), None)
        if against is not None:
            # Tested against another vocabulary: its subclasses' names are
            # not ours. Told all the same, so it replaces what an earlier
            # round of the exports, knowing less, said of it.
            out[key] = f"{FOREIGN_EXPORT}{against.why}"
            continue
        lowest = min(verdicts, key=lambda v: CONFIDENCES.index(v.confidence))  # type: ignore[arg-type,unused-ignore]
        out[key] = f"{COLLECTION_EXPORT}{lowest.confidence}: {lowest.why}"
    return out


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    """The values that reach a tested attribute of a class of this module:
    its class body's (and its subclasses'), and what the class is built with."""
    own = tested_attributes(facts, resolver)
    # A class's own attribute tested here is the held-collection form's
    # (its body, what its methods assign, its calls by keyword): only its
    # subclasses, and tests made in other modules, are this form's.
    remote = {k: w for k, w in _exported(resolver).items() if k not in own}
    tested = {**remote, **own}
    if not tested or not facts.classes:
        return
    members = Members(resolver)
    reached: dict[int, tuple[Member, list[Verdict]]] = {}
    module_scope = facts.module_scope
    assert module_scope is not None
    for name, node in facts.classes.items():
        ancestors = [a for a in _ancestors(resolver, name) if a is not None]
        for attr, value, scope, via in _given(resolver, name, node, module_scope):
            verdict = _tested(remote, ancestors[:1], attr) or _tested(tested, ancestors[1:], attr)
            if verdict is None:
                continue
            shown = Verdict(verdict.confidence, f"{via}, {verdict.why}")
            _reach(facts, resolver, plan, reached, members.of(value, scope), shown)
    for member, verdicts in reached.values():
        _plan(rw, facts, plan, member, verdicts, RULE.name)


def _exported(resolver: Resolver) -> dict[str, str]:
    return select(resolver.tree.exports, _tested_collection)


def _tested_collection(key: str, why: str) -> bool:
    return key.endswith(ATTRIBUTE) and why.startswith(COLLECTION_EXPORT)


def _tested(tested: dict[str, str], ancestors: list[str], attr: str) -> Verdict | None:
    """The verdict of a test of ``attr`` on the class or one of its bases."""
    for full in ancestors:
        key = f"{full}.{attr}{ATTRIBUTE}"
        why = tested.get(key) or next(
            (w for k, w in tested.items() if k.endswith("." + key) or key.endswith("." + k)), None)
        if why is None:
            continue
        said, _, reason = why[len(COLLECTION_EXPORT):].partition(": ")
        confidence = next((c for c in CONFIDENCES if c == said), None)
        if confidence is not None:
            return Verdict(confidence, reason)
    return None


def _class_name(resolver: Resolver, cls: str) -> str | None:
    """The project-wide dotted name of a class named ``cls`` here."""
    if cls in resolver.facts.classes:
        return f"{resolver.tree.module}.{cls}".lstrip(".")
    head = cls.split(".", 1)[0]
    if head in resolver.facts.imported_names or head in resolver.facts.module_aliases:
        return resolver.absolute(cls)
    return None


def _ancestors(resolver: Resolver, name: str) -> Iterator[str | None]:
    """The dotted names of a class of this module and of its bases, nearest
    first: this module's classes followed, an imported base named."""
    seen: set[str] = set()
    queue = [name]
    while queue:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        yield _class_name(resolver, current)
        node = resolver.facts.classes.get(current)
        if node is not None:
            queue += [b for b in (cst.helpers.get_full_name_for_node(a.value) for a in node.bases) if b]


def _given(
    resolver: Resolver, name: str, node: cst.ClassDef, module_scope: Scope
) -> Iterator[tuple[str, cst.BaseExpression, Scope, str]]:
    """``(attr, value, scope, how)`` of each value the class gives an
    attribute: in its body (``statuses = frozenset({...})``, a field's
    default, ``field(default=...)`` too), and by keyword or position in a
    call of the class made here (``cls(restart_on=...)`` in a class method)."""
    facts = resolver.facts
    for line in node.body.body:
        for small in line.body if isinstance(line, cst.SimpleStatementLine) else ():
            target = small.target if isinstance(small, cst.AnnAssign) else (
                small.targets[0].target if isinstance(small, cst.Assign) and len(small.targets) == 1 else None)
            value = small.value if isinstance(small, (cst.AnnAssign, cst.Assign)) else None
            if isinstance(target, cst.Name) and value is not None:
                if isinstance(value, cst.Call) and (cst.helpers.get_full_name_for_node(value.func) or "").rsplit(
                        ".", 1)[-1] in ("field", "Field", "ib", "attrib"):
                    value = next((a.value for a in value.args if a.keyword is not None
                                  and a.keyword.value == "default"), None)
                if value is not None:
                    yield target.value, value, module_scope, f"`{name}.{target.value}`"
    fields = resolver.status_fields(name)
    calls = [(c, s) for c, s in facts.calls.get(name, []) if s.owner_of(name) is module_scope]
    for call, scope in [*calls, *resolver._cls_calls(name)]:
        for index, arg in enumerate(call.args):
            if arg.star:
                break
            attr = arg.keyword.value if arg.keyword is not None else (fields[index] if index < len(fields) else None)
            if attr is not None:
                line_no = facts.pos(call).start.line
                yield attr, arg.value, scope, f"given as `{attr}` to `{name}` at line {line_no}"
