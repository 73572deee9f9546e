"""`Literal[...]` annotations of session statuses."""

from __future__ import annotations

import libcst as cst

from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Verdict, nodes_in
from codemods.provenance.row_shape import by_shape
from codemods.session_status import Plan, StatusRewriter
from migrator.rules import Example, Rule
from codemods.words import words_of

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
        # The status type of a record nothing ties to session rows, beside
        # another vocabulary (agents_wait runs): for review only.
        Example('import openclaw\nfrom typing import Literal, TypedDict\n\nChildState = Literal["done", "failed"]\n\n\n'
                'class ChildRun(TypedDict):\n    status: ChildState\n\n\n'
                'def wait(tools, ids):\n    return tools.invoke("agents_wait", {"ids": ids})\n'),
    ),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for annotation in facts.literal_types:
        literals = [e.slice.value for e in annotation.node.slice if isinstance(e.slice, cst.Index)]
        words = {string_value(lit) or "" for lit in literals}
        if not (words & rw.vocab.old):
            continue
        typed = _typed_constant(rw, facts, plan, annotation.owner, words)
        verdict = typed if typed is None or typed.confidence is not None else None
        if typed is None:
            verdict = literal_verdict(rw, annotation.owner, words, resolver)
        if verdict is None:
            continue
        rewrite = rw.allowed(verdict) and not rw.ignored(facts, annotation.line)
        rw.add(
            plan, facts, annotation.node, annotation.line, literals, verdict,  # type: ignore[arg-type]
            "status-literal-type", rewrite, "literal-type",
        )


def _typed_constant(rw: StatusRewriter, facts: ModuleFacts, plan: Plan, owner: str, words: set[str]) -> Verdict | None:
    """An alias of this module typing the items of a module constant used
    only as session statuses (``ENDED: tuple[SessionStatus, ...] = (...)``,
    tested with the rows' status): the alias is their type. One typing a
    constant used only with another vocabulary (a job's state) is that
    vocabulary's: a verdict of no confidence. None when no constant tells."""
    if "." in owner or words & rw.manifest.python.foreign_words or not words <= rw.vocab.all_values:
        return None
    module = facts.module_scope
    for name in facts.constants:
        bindings = module.bindings.get(name, []) if module is not None else []
        if len(bindings) != 1 or bindings[0].annotation is None or owner not in _names_in(bindings[0].annotation):
            continue
        uses = [*plan.constant_uses.get(name, []), *rw.remote_uses.get(name, [])]
        ours = [v for v in uses if v.confidence is not None]
        if ours and len(ours) == len(uses):
            return Verdict(ours[0].confidence, f"`Literal` `{owner}` types the items of `{name}`, {ours[0].why}")
        if uses and not ours:
            return Verdict(None, f"`Literal` `{owner}` types the items of `{name}`, used with another vocabulary")
    return None


def literal_verdict(rw: StatusRewriter, owner: str, words: set[str], resolver: Resolver) -> Verdict | None:
    if words & rw.manifest.python.foreign_words or not words <= rw.vocab.all_values:
        return None  # mixed with other words: another vocabulary
    typed = typed_field(owner, resolver)
    if typed is not None:
        return typed
    if "." not in owner:
        # An alias of this module typing a class of another module built
        # from session rows there (`from types_ import Status`).
        remote = [v for v in rw.remote_uses.get(owner, ()) if v.confidence is not None]
        if remote:
            return remote[0]
    # A name (`SessionStatus`) is no evidence by itself: an unrelated
    # project has its own session statuses. The module must talk to OpenClaw.
    names = set(words_of(owner))
    described = f"`Literal` of session words annotating `{owner}`" if owner else "`Literal` of session words"
    together = len(words) >= 2
    # A module that names no source but reads session rows by their shape:
    # only a `Literal` of the whole vocabulary, the names the rename keeps
    # too (`running`), is the rows' status type there; one of ended runs
    # only may be another record's (an `agents_wait` child's).
    whole = bool(words & set(rw.vocab.unchanged))
    evidence = resolver.module_evidence or (_shaped_rows(resolver) if whole else [])
    if not (evidence and ({"status", "state"} & names or together)):
        return None
    record = _typed_record(owner, resolver) if resolver.facts.mixed else None
    if record is not None:
        # The type of a record's status (`ChildRun.status`) that nothing ties
        # to session rows, in a module that handles another vocabulary too
        # (`agents_wait` runs): the module talking to OpenClaw says nothing
        # of which record it is. One built from another vocabulary's rows is theirs.
        built = resolver.class_origin(record.partition(".")[0])
        if built is not None and built.kind == "foreign":
            return None
        return Verdict("possible", f"`Literal` typing `{record}`, a class nothing ties to session rows")
    if not resolver.module_evidence:
        return Verdict("likely", f"{described}; {evidence[0]}")
    return Verdict("likely", f"{described}; module talks to OpenClaw ({evidence[0]})")


def _shaped_rows(resolver: Resolver) -> list[str]:
    """Where a module that names no source reads session rows known by
    their shape (a status test of an object also read as `abortedLastRun`):
    as much a tie to session rows as talking to OpenClaw."""
    for comparison in resolver.facts.comparisons:
        subject = resolver.subject(comparison.subject, comparison.scope)
        if subject is None or not subject.is_status:
            continue
        shaped = by_shape(resolver, subject)
        if shaped is not None:
            line = resolver.facts.pos(comparison.node).start.line
            return [f"the module reads session rows at line {line}: {subject.description}, {shaped}"]
    return []


def typed_field(owner: str, resolver: Resolver) -> Verdict | None:
    """A `Literal` that types the status field of a class carrying session
    statuses, written there (`status: Literal[...]`) or through a type alias
    of this module (`SessionState = Literal[...]`, `status: Optional[SessionState]`)."""
    for name, field, names in _status_fields(resolver):
        direct = owner == f"{name}.{field}"
        alias = "." not in owner and owner in names
        if direct or alias:
            verdict = _typed(name, field, "" if direct else owner, resolver)
            if verdict is not None:
                return verdict
    return None


def _typed_record(owner: str, resolver: Resolver) -> str | None:
    """``Class.field`` of a status field of this module's classes that the
    `Literal` ``owner`` types (written there, or through an alias)."""
    for name, field, names in _status_fields(resolver):
        if owner == f"{name}.{field}" or ("." not in owner and owner in names):
            return f"{name}.{field}"
    return None


def imported_aliases(facts: ModuleFacts, resolver: Resolver) -> list[tuple[str, int, str, Verdict]]:
    """``(module, level, name, verdict)`` of each alias this module imports
    that types the status field of one of its classes built from session
    rows (`from types_ import Status`, `status: Status`): the evidence the
    module defining the alias needs."""
    out = []
    for name, field, names in _status_fields(resolver):
        for alias in sorted(names & facts.imported_names.keys()):
            verdict = _typed(name, field, alias, resolver)
            if verdict is not None:
                module, level, original = facts.imported_names[alias]
                out.append((module, level, original, verdict))
    return out


def _status_fields(resolver: Resolver) -> list[tuple[str, str, set[str]]]:
    """``(class, field, names its annotation mentions)`` of each annotated
    status field of this module's classes."""
    out = []
    for name, node in resolver.facts.classes.items():
        for statement in node.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and \
                        small.target.value in resolver.facts.attributes:
                    out.append((name, small.target.value, _names_in(small.annotation.annotation)))
    return out


def _typed(name: str, field: str, alias: str, resolver: Resolver) -> Verdict | None:
    """The verdict of a `Literal` (through ``alias``, if any) typing
    ``name.field``: certain where the class is built from session rows."""
    built = resolver.class_origin(name)
    if built is None or built.kind != "session" or built.strength != "strong":
        return None
    via = f"`{alias}`, " if alias else ""
    return Verdict("certain", f"`Literal` {via}the type of `{name}.{field}`, where `{name}` is {built.why}")


def _names_in(node: cst.CSTNode) -> set[str]:
    """The plain names an annotation mentions (`Optional[SessionState]`), and
    its forward references ("SessionState")."""
    return {n.value for n in nodes_in(node, cst.Name)} | {
        (string_value(s) or "").strip() for s in nodes_in(node, cst.SimpleString)}
