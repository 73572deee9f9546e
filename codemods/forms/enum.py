"""`Enum` classes whose members are session statuses."""

from __future__ import annotations

import ast
from typing import Iterator

import libcst as cst
import libcst.helpers

from codemods import orm
from codemods.literals import restyle, string_value
from codemods.provenance import EnumClass, ModuleFacts, Resolver, Verdict
from codemods.session_status import Plan, StatusRewriter
from migrator.findings import CONFIDENCES
from migrator.manifest import Vocabulary
from migrator.rules import Example, Rule

ORDER = 80
# The edit of the class: expand adds the hook that reads the new names, contract drops it.
HOOK_EDIT = "enum-missing"
# The edit of a Django enumeration: expand adds a member per new name, contract drops them.
CHOICES_EDIT = "enum-choices"
_HOOK = "_missing_"

_CHOICES = (
    "from django.db import models\n\nclass Status(models.TextChoices):\n    RUNNING = \"running\", \"Running\"\n"
    "    DONE = {done}\n{extra}\nclass Mirror(models.Model):\n"
    "    status = models.CharField(max_length=32, choices=Status.choices)\n\ndef sync(client):\n"
    "    for row in client.invoke(\"sessions_list\", {{}})[\"sessions\"]:\n"
    "        Mirror.objects.update_or_create(key=row[\"key\"], defaults={{\"status\": row[\"status\"]}})\n"
)

RULE = Rule(
    name="status-enum",
    summary="`Enum` classes whose members are session statuses.",
    why="`SessionStatus(row[\"status\"])` raises `ValueError` for a new name.",
    safety="A Django enumeration (`TextChoices`) is a session status where it gives the choices of a "
    "model's status field and the model's rows are stored from session rows; its `.values` and "
    "`.choices` are what the field accepts, so expand adds a member per new name (same label) and "
    "contract renames the values and drops those members (code that names one must name the old "
    "member, whose value it then is). An Enum value holds exactly one name, and adding members changes iteration and "
    "`len`, so expand keeps the values and adds a `_missing_` class method that maps each "
    "new name to its member (`SessionStatus(\"agent_responded\")` is `SessionStatus.DONE`); "
    "a class with a `_missing_` of its own, or a member that already has a new value, is "
    "listed for review. contract renames the values and drops the hook expand added, "
    "unless the class already has a member with the new value (that would turn one member "
    "into an alias): review. The hook answers `SessionStatus(value)`, not `==`: a raw status "
    "compared with a member of a str-valued enum (`row[\"status\"] == SessionStatus.DONE`) gets "
    "the new name beside the member in expand (status-enum-compare).",
    invalid=(
        # A Django enumeration giving the choices of a model's status, stored
        # from session rows: expand adds a member per new name (`.values` and
        # `.choices`, what the field accepts, then hold both).
        Example(
            _CHOICES.format(done='"done", "Done"', extra=''),
            _CHOICES.format(done='"done", "Done"', extra='    AGENT_RESPONDED = "agent_responded", "Done"\n'),
            _CHOICES.format(done='"agent_responded", "Done"', extra=''),
        ),
        Example(
            'from enum import Enum\n\nclass SessionStatus(str, Enum):\n    RUNNING = "running"\n'
            '    DONE = "done"\n\ndef states(gw):\n'
            '    return [SessionStatus(r["status"]) for r in gw.sessions_list()["sessions"]]\n',
            'from enum import Enum\n\nclass SessionStatus(str, Enum):\n    RUNNING = "running"\n'
            '    DONE = "done"\n\n    @classmethod\n    def _missing_(cls, value):\n'
            '        return {"agent_responded": cls.DONE}.get(value)\n\ndef states(gw):\n'
            '    return [SessionStatus(r["status"]) for r in gw.sessions_list()["sessions"]]\n',
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
        # A Django model's own job states, beside nothing that stores a session status.
        Example(
            'from django.db import models\n\nclass Export(models.Model):\n'
            '    class State(models.TextChoices):\n        DONE = "done", "Done"\n        FAILED = "failed"\n\n'
            '    status = models.CharField(max_length=16, choices=State.choices)\n'
        ),
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
        if enum.choices:
            _plan_choices(rw, facts, plan, enum, values, verdict)
            continue
        old = [(member, literal) for member, literal in enum.members if string_value(literal) in rw.vocab.old]
        hook = added_hook(enum.node, rw.vocab)
        aliased = any(rw.vocab.to_new(string_value(lit) or "") in values for _, lit in old)
        line = facts.pos(enum.node).start.line
        if rw.phase == "expand" and not aliased and (hook is not None or not _defines(enum.node, _HOOK)):
            # The hook reads the new names; where it already maps them, expand's work is done.
            known = sorted({*values, *(hook or {})})
            rewrite = rw.allowed(verdict) and not any(rw.ignored(facts, facts.pos(lit).start.line) for _, lit in old)
            rw.add(plan, facts, enum.node, line, [lit for _, lit in old], verdict, "status-enum", rewrite,
                   HOOK_EDIT, siblings=[cst.SimpleString(repr(w)) for w in known])
            continue
        for member, literal in old:
            value = string_value(literal) or ""
            at = facts.pos(literal).start.line
            if rw.phase == "expand":
                why = f"{verdict.why}; `{enum.name}` defines its own `{_HOOK}` or already has a new value"
                rw.add(plan, facts, literal, at, [literal], Verdict(verdict.confidence, why),
                       "status-enum", False, "literal")
            elif rw.vocab.to_new(value) in values:
                why = f"{verdict.why}; `{enum.name}` already has the value `{rw.vocab.to_new(value)}`"
                rw.add(plan, facts, literal, at, [literal], Verdict(verdict.confidence, why),
                       "status-enum", False, "literal")
            else:
                rewrite = rw.allowed(verdict) and not rw.ignored(facts, at)
                rw.add(plan, facts, literal, at, [literal], verdict, "status-enum", rewrite, "literal")
                if rewrite and hook is not None and id(literal) in plan.edits:
                    plan.edits[id(enum.node)] = HOOK_EDIT  # contract drops the hook expand added


def migrated(rw: StatusRewriter, enum: EnumClass, facts: ModuleFacts, resolver: Resolver) -> dict[str, str]:
    """``{member: old name}`` of a str-valued enum this form migrates in
    both phases (its members then equal the new names after contract), else
    empty: what a comparison with one of its members elsewhere needs to know."""
    values = {string_value(lit) or "" for _, lit in enum.members}
    old = {member: string_value(lit) or "" for member, lit in enum.members if string_value(lit) in rw.vocab.old}
    if not old or not (enum.choices or _str_valued(enum.node)):
        return {}
    verdict = enum_verdict(rw, enum, values, facts, resolver)
    if verdict is None or not rw.allowed(verdict):
        return {}
    # The members expand added to a Django enumeration are no values of its own.
    added = added_choices(enum.node, rw.vocab) if enum.choices else set()
    own = {string_value(lit) or "" for member, lit in enum.members if member not in added}
    if any(rw.vocab.to_new(v) in own for v in old.values()) or any(
            rw.ignored(facts, facts.pos(lit).start.line) for _, lit in enum.members):
        return {}
    if enum.choices:
        return old
    if _defines(enum.node, _HOOK) and added_hook(enum.node, rw.vocab) is None:
        return {}  # a `_missing_` of its own: the enum is reviewed, not migrated
    return old


def _str_valued(node: cst.ClassDef) -> bool:
    """Whether the enum's members are strings (``StrEnum``, ``str, Enum``):
    only then does a raw status equal a member."""
    for base in node.bases:
        name = cst.helpers.get_full_name_for_node(base.value) or ""
        if name.rpartition(".")[2] in ("str", "StrEnum"):
            return True
    return False


def _plan_choices(rw: StatusRewriter, facts: ModuleFacts, plan: Plan, enum: EnumClass, values: set[str],
                  verdict: Verdict) -> None:
    """A Django enumeration: expand adds a member per new name (its values
    are what the model field accepts), contract renames the values and drops
    the members expand added; a member of a new name of its own: review."""
    old = [literal for _, literal in enum.members if string_value(literal) in rw.vocab.old]
    added = added_choices(enum.node, rw.vocab)
    own = {string_value(lit) for member, lit in enum.members if member not in added} & rw.vocab.new
    line = facts.pos(enum.node).start.line
    if own:
        why = f"{verdict.why}; `{enum.name}` already has a member of a new name of its own"
        for literal in old:
            rw.add(plan, facts, literal, facts.pos(literal).start.line, [literal], Verdict(verdict.confidence, why),
                   RULE.name, False, "literal")
        return
    rewrite = rw.allowed(verdict) and not any(rw.ignored(facts, facts.pos(lit).start.line) for lit in old)
    siblings = [cst.SimpleString(repr(w)) for w in sorted(values)]
    rw.add(plan, facts, enum.node, line, old, verdict, RULE.name, rewrite, CHOICES_EDIT, siblings=siblings)


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
    held = _choices_of(rw, enum, facts, resolver)
    if held is not None:
        return held
    # Its members compared with a session status in other modules
    # (`r.get("status") == SessionStatus.RUNNING`); a use with another
    # vocabulary there (`job["state"] == SessionStatus.DONE`) leaves it to a person.
    uses = rw.remote_uses.get(enum.name, ())
    ours = [v for v in uses if v.confidence is not None]
    if ours:
        against = [v for v in uses if v.confidence is None]
        if against:
            return Verdict("possible", f"Enum `{enum.name}` is used in a status test in another module: {ours[0].why}; "
                           f"but also with other values ({against[0].why})")
        lowest = min(ours, key=lambda v: CONFIDENCES.index(v.confidence))
        return Verdict(lowest.confidence, f"Enum `{enum.name}` is used in a status test in another module: {lowest.why}")
    evidence = resolver.module_evidence
    if evidence:
        return Verdict("likely", f"Enum `{enum.name}` of session words; module talks to OpenClaw ({evidence[0]})")
    return None


def _choices_of(rw: StatusRewriter, enum: EnumClass, facts: ModuleFacts, resolver: Resolver) -> Verdict | None:
    """A Django enumeration that gives the ``choices`` of a model's status
    field, where the model's rows are stored from session rows."""
    fields = facts.keys | facts.attributes
    for name, node in facts.classes.items():
        for field, held in orm.choices_fields(node, fields):
            if held != enum.name:
                continue
            origin = resolver.class_origin(name)
            if origin is not None and origin.kind == "session" and origin.strength == "strong":
                return Verdict("certain", f"Enum `{enum.name}` gives the choices of `{name}.{field}`, {origin.why}")
    return None


# -- Django choices: expand adds a member per new name -------------------------
def _member_of(statement: cst.CSTNode) -> tuple[str, cst.SimpleString] | None:
    """(member, value literal) of a one-member line of a Django enumeration."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        value = orm.choice_value(small.value)
        if isinstance(value, cst.SimpleString) and string_value(value) is not None:
            return small.targets[0].target.value, value
    return None


def _choice_members(node: cst.ClassDef) -> Iterator[tuple[str, cst.SimpleString]]:
    for statement in node.body.body:
        found = _member_of(statement)
        if found is not None:
            yield found


def _member_name(new: str) -> str:
    return new.upper()


def added_choices(node: cst.ClassDef, vocab: Vocabulary) -> set[str]:
    """The members expand added: ``AGENT_RESPONDED = "agent_responded", ...``
    beside a member of the old name."""
    members = list(_choice_members(node))
    olds = {string_value(v) for _, v in members} & vocab.old
    return {m for m, v in members if string_value(v) in vocab.new and m == _member_name(string_value(v) or "")
            and vocab.to_old(string_value(v) or "") in olds}


def with_choices(node: cst.ClassDef, vocab: Vocabulary, phase: str) -> cst.ClassDef:
    """Expand: after each member of an old name, a member of its new name
    with the same label (Django's ``.values`` and ``.choices`` then accept
    both). Contract: the added members dropped, the old values renamed."""
    block = node.body
    if not isinstance(block, cst.IndentedBlock):
        return node  # `class S(TextChoices): A = "a"` on one line: its members are reported, not edited
    added = added_choices(node, vocab)
    present = {string_value(v) for _, v in _choice_members(node)}
    names = {m for m, _ in _choice_members(node)}
    body: list[cst.BaseStatement] = []
    for statement in block.body:
        found = _member_of(statement)
        if found is None or not isinstance(statement, cst.SimpleStatementLine):
            body.append(statement)
            continue
        member, literal = found
        small = statement.body[0]
        assert isinstance(small, cst.Assign)
        value = string_value(literal) or ""
        if phase == "contract":
            if member in added:
                continue
            if value in vocab.old:
                statement = statement.with_changes(body=[_with_value(small, restyle(literal, vocab.to_new(value)))])
            body.append(statement)
            continue
        body.append(statement)
        new = vocab.to_new(value) if value in vocab.old else None
        if new is None or new in present or _member_name(new) in names:
            continue
        twin = small.with_changes(targets=[small.targets[0].with_changes(target=cst.Name(_member_name(new)))])
        body.append(statement.with_changes(body=[_with_value(twin, restyle(literal, new))], leading_lines=[]))
    return node.with_changes(body=block.with_changes(body=body))


def _with_value(member: cst.Assign, literal: cst.SimpleString) -> cst.Assign:
    """The member with ``literal`` as its value (first in a ``value, label`` tuple)."""
    value = member.value
    if isinstance(value, cst.Tuple) and value.elements:
        first = value.elements[0].with_changes(value=literal)
        return member.with_changes(value=value.with_changes(elements=[first, *value.elements[1:]]))
    return member.with_changes(value=literal)


def _ast_member_value(node: ast.stmt) -> tuple[str, str] | None:
    """(member, value) of ``NAME = "value"`` or ``NAME = "value", "Label"``."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
        return None
    value = node.value.elts[0] if isinstance(node.value, ast.Tuple) and node.value.elts else node.value
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return node.targets[0].id, value.value
    return None


def is_added_choice(node: ast.stmt, vocab: Vocabulary, body: list[ast.stmt]) -> bool:
    """For the write check: a member expand added to a Django enumeration
    (``body``: the class's statements, which hold the member of the old name)."""
    found = _ast_member_value(node)
    if found is None or found[1] not in vocab.new or found[0] != _member_name(found[1]):
        return False
    olds = {m[1] for m in map(_ast_member_value, body) if m is not None}
    return vocab.to_old(found[1]) in olds


# -- the hook expand adds ------------------------------------------------------
def _defines(node: cst.ClassDef, name: str) -> bool:
    return any(isinstance(s, cst.FunctionDef) and s.name.value == name for s in node.body.body)


def _as_ast(statement: cst.FunctionDef) -> ast.stmt:
    return ast.parse(cst.Module(body=[statement.with_changes(leading_lines=[])]).code).body[0]


def added_hook(node: cst.ClassDef, vocab: Vocabulary) -> dict[str, str] | None:
    """The ``_missing_`` expand added to an enum class (new name -> member),
    or None when the class has none of that exact shape."""
    for statement in node.body.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == _HOOK:
            return _hook_mapping(_as_ast(statement), vocab)
    return None


def _hook_mapping(node: ast.stmt, vocab: Vocabulary) -> dict[str, str] | None:
    """``{new name: member}`` when ``node`` is the hook, on the stdlib ``ast``:
    ``@classmethod def _missing_(cls, value): return {"new": cls.MEMBER, ...}.get(value)``."""
    if not (isinstance(node, ast.FunctionDef) and node.name == _HOOK and len(node.body) == 1):
        return None
    if [ast.unparse(d) for d in node.decorator_list] != ["classmethod"] or [a.arg for a in node.args.args] != [
            "cls", "value"]:
        return None
    returned = node.body[0]
    call = returned.value if isinstance(returned, ast.Return) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "get"
            and isinstance(call.func.value, ast.Dict) and not call.keywords and len(call.args) == 1
            and isinstance(call.args[0], ast.Name) and call.args[0].id == "value"):
        return None
    table = call.func.value
    out: dict[str, str] = {}
    for key, value in zip(table.keys, table.values):
        if not (isinstance(key, ast.Constant) and key.value in vocab.new and isinstance(value, ast.Attribute)
                and isinstance(value.value, ast.Name) and value.value.id == "cls"):
            return None
        out[key.value] = value.attr
    return out or None


def is_hook(node: ast.stmt, vocab: Vocabulary) -> bool:
    """Whether ``node`` is the hook expand adds (the write check sets it aside)."""
    return _hook_mapping(node, vocab) is not None


def with_hook(node: cst.ClassDef, vocab: Vocabulary, phase: str) -> cst.ClassDef:
    """The class without the hook expand added and, in expand, with it again
    for its members of old names (``"agent_responded": cls.DONE``)."""
    body = [s for s in node.body.body if not (
        isinstance(s, cst.FunctionDef) and s.name.value == _HOOK and _hook_mapping(_as_ast(s), vocab) is not None)]
    if phase == "expand":
        pairs = []
        for statement in body:
            for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
                if isinstance(small, cst.Assign) and isinstance(small.targets[0].target, cst.Name):
                    value = string_value(small.value)
                    if value is not None and value in vocab.old:
                        pairs.append(f'"{vocab.to_new(value)}": cls.{small.targets[0].target.value}')
        table = "{" + ", ".join(pairs) + "}"
        if len(table) > 64:  # one pair a line, as a formatter would lay it out
            table = "{\n" + "".join(f"        {p},\n" for p in pairs) + "    }"
        hook = cst.parse_statement(f"@classmethod\ndef {_HOOK}(cls, value):\n    return {table}.get(value)\n")
        body.append(hook.with_changes(leading_lines=[cst.EmptyLine(indent=False)]))
    return node.with_changes(body=node.body.with_changes(body=body))
