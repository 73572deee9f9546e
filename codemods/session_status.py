"""The session-status codemod: find and rewrite comparisons with the old names,
only where the value really is a session status.

:class:`StatusRewriter` is the engine (used by migrator's pipeline);
:class:`SessionStatusCommand` (in :mod:`codemods.command`, found here) wraps
it for ``python -m libcst.tool codemod``.
"""

from __future__ import annotations

import ast
import functools
import sys
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import libcst as cst

from codemods.edits import (
    DICT,
    SUBSCRIPT,
    contract_elements,
    equality_of,
    expand_elements,
    membership_of,
    pair_tuple,
    pattern_of,
)
from codemods.literals import restyle, string_value
from codemods.positions import Positions
from codemods import walk
from codemods.members import GROW_MANY, GROW_ONE
from codemods.provenance.partials import bind_partials
from codemods.provenance import (
    Comparison,
    ModuleFacts,
    Origin,
    Resolver,
    Scope,
    TreeKnowledge,
    Verdict,
    collection_elements,
    table_entries,
    union_components,
)
from codemods.sites import Validator, validating_helpers
from codemods.words import STATUS_READ, WORDS
from codemods.sites import parse as parse_ast
from migrator.findings import CONFIDENCES, Confidence
from migrator.manifest import Manifest, Phase, Vocabulary
from migrator.suppressions import Suppressions

# Resolves (module, level) imports of this file to evidence found in the
# scanned tree: lets "imports a module that talks to OpenClaw" count.
ImportEvidence = Callable[[Sequence[tuple[str, int]]], list[str]]


@dataclass(frozen=True)
class CodeFinding:
    """A finding in Python source, before the pipeline adds the path."""

    line: int
    column: int
    old: str
    new: str
    confidence: Confidence
    rewrite: bool
    rule: str
    why: str


@dataclass
class RewriteResult:
    code: bytes
    findings: list[CodeFinding] = field(default_factory=list)
    #: The file's suppression comments, after matching (their notes: unused, unknown).
    suppressions: Suppressions = field(default_factory=Suppressions)
    # Sites that already accept the old and the new name (expand done, contract pending).
    expanded: list[CodeFinding] = field(default_factory=list)
    # Sites expand keeps as they are by design (writers, defaults, one-name
    # constants): handled for expand, renamed in contract.
    kept: list[CodeFinding] = field(default_factory=list)


@dataclass(frozen=True)
class ImportedUse:
    """A status test in this module against a name imported from another
    module of the tree: the evidence the defining module needs."""

    module: str
    level: int
    name: str
    verdict: Verdict


@dataclass(frozen=True)
class PassedArgument:
    """An argument this module passes a function imported from another
    module of the tree, with its origin: the evidence the defining module
    needs for the function's parameters."""

    module: str  # the defining module as imported (relative to ``level``)
    level: int
    function: str
    key: str  # the parameter's index, or its keyword
    line: int
    code: str
    origin: Origin


# A call that grows a tested collection (`bad.add("killed")`): expand makes
# it add both names (`bad.update(("killed", "halted"))`), contract the new one.
GROWN = "grown"
# Edits that add the new name beside the old one in expand.
_EXPANDING = ("compare", "membership", "collection", "table", "pattern", "literal-type", "enum-missing", GROWN,
              "orm-lookup", "enum-choices", "orm-column", "orm-filter-by", "table-column", "count-lookup",
              "enum-compare", "sql-placeholders")
# A constant shared with another vocabulary gets expand's edit in either
# phase: contract leaves it accepting both names, for a person to split, so
# contract after expand and contract alone give the same bytes.
SHARED = "collection-shared"


class StatusRewriter:
    """Rewrite one module's session-status literals for a phase."""

    def __init__(
        self,
        manifest: Manifest,
        phase: Phase = "expand",
        min_confidence: Confidence = "likely",
        markers: Iterable[str] = (),
        import_evidence: ImportEvidence | None = None,
        remote_uses: Mapping[str, Sequence[Verdict]] | None = None,
        tree: TreeKnowledge | None = None,
    ) -> None:
        self.tree = tree
        self.manifest = manifest
        self.vocab: Vocabulary = manifest.vocabulary
        self.phase = phase
        self.min_rank = CONFIDENCES.index(min_confidence)
        self.markers = tuple(markers)
        self.import_evidence = import_evidence
        self.remote_uses = dict(remote_uses or {})

    # -- public ------------------------------------------------------------
    def analyse(self, source: bytes) -> tuple[cst.Module, ModuleFacts, Resolver]:
        """Parse ``source`` and collect its facts; raises ``cst.ParserSyntaxError``."""
        module, facts = _parsed(source, self.manifest, self.markers)
        evidence = list(facts.evidence)
        if self.import_evidence is not None:
            evidence += self.import_evidence(facts.imports)
        return module, facts, Resolver(facts, module, evidence, self.tree)

    def exports(self, source: bytes) -> dict[str, str]:
        """What this module tells the rest of the project (see :meth:`Resolver.exports`)."""
        from codemods.forms.class_collection import tested_attributes
        from codemods.forms.held_collection import tested_parameters
        from codemods.forms.passed_value import tested_values
        from codemods.provenance.stored_columns import value_exports

        _, facts, resolver = self.analyse(source)
        return {**resolver.exports(), **tested_parameters(facts, resolver), **tested_values(facts, resolver),
                **value_exports(facts, resolver), **tested_attributes(facts, resolver)}

    def imported_uses(self, source: bytes) -> list[ImportedUse]:
        """Status tests made here with names imported from other modules."""
        _, facts, resolver = self.analyse(source)
        out: list[ImportedUse] = []
        probes = [(c.other, c.subject, c.scope, "compared with", True) for c in facts.comparisons]
        # `row["status"] in (SessionStatus.DONE, "agent_responded")`: each member a collection names.
        probes += [(e.value, c.subject, c.scope, "compared with", True) for c in facts.comparisons
                   if isinstance(c.other, (cst.Tuple, cst.List, cst.Set)) for e in c.other.elements
                   if isinstance(e.value, cst.Attribute)]
        probes += [(cst.Name(d.table), d.key, d.scope, "keyed by", True) for d in facts.dispatches]
        # `vocab.COLOURS.get(status)`: a table of another module read through
        # it; a key that reads no status (a styling callback's `value`) says
        # nothing of the table's vocabulary.
        probes += [(cst.Attribute(cst.Name(head), cst.Name(attr)), d.key, d.scope, "keyed by", False)
                   for d in facts.attribute_dispatches for head, _, attr in [d.table.partition(".")]]
        for comparison in facts.comparisons:
            # `row["status"] in ALL` where `ALL = DONE | FAIL` of imported constants.
            union = resolver.union_constant(comparison.other, comparison.scope)
            if union is None or not isinstance(comparison.op, (cst.In, cst.NotIn)):
                continue
            verdict = resolver.union_verdict(comparison, union[0])
            for component in union[1]:
                if component.value in facts.imported_names and not facts.constants.get(component.value):
                    module, level, name = facts.imported_names[component.value]
                    out.append(ImportedUse(module, level, name, verdict))
        for other, subject_node, scope, verb, told_apart in probes:
            found = imported_constant(other, scope, facts)
            if found is None:
                continue
            subject = resolver.subject(subject_node, scope)
            module, level, name = found
            if not told_apart and (subject is None or not subject.is_status):
                continue
            if subject is None:
                # `job["state"] in FINISHED`: the constant serves another vocabulary here.
                line = facts.pos(subject_node).start.line
                why = f"`{resolver.code(subject_node)}` (line {line}) is not a session status"
                out.append(ImportedUse(module, level, name, Verdict(None, why)))
                continue
            out.append(ImportedUse(module, level, name, resolver.verdict(subject, [], verb)))
        for node, holder, literal, scope in facts.literal_lookups:
            # `TOPIC_BY_STATUS["failed"]` of an imported table: a lookup this
            # module would have to rename with the table, which it cannot
            # know will be renamed: the table keeps its old keys in contract.
            found = imported_constant(holder, scope, facts)
            if found is not None:
                line = facts.pos(node).start.line
                why = f"`{resolver.code(node)}` (line {line}) looks up an old key, which contract would leave behind"
                out.append(ImportedUse(*found, Verdict(None, why)))
        from codemods.forms.held_collection import imported_members

        # `late = tuple(STUCK)`, then `row["status"] in late`: a use of STUCK too.
        out += [ImportedUse(*use) for use in imported_members(facts, resolver)]
        from codemods.forms._items import imported_item_uses

        # `for status in marks.SESSION_STATUSES: ... r.get("status") == status`: a use of SESSION_STATUSES.
        out += [ImportedUse(*use) for use in imported_item_uses(facts, resolver)]
        from codemods.forms.option_choice import imported_uses as option_uses

        # `st.multiselect("Status", list(palette.COLOURS))`, compared with rows' statuses: a use of COLOURS.
        out += [ImportedUse(*use) for use in option_uses(facts, resolver, self.vocab.old)]
        return out

    def migrated_enums(self, source: bytes) -> dict[str, dict[str, str]]:
        """The str-valued enums of this module the run migrates: class ->
        ``{member: old name}`` (a comparison with a member elsewhere reads them)."""
        from codemods.forms.enum import migrated

        _, facts, resolver = self.analyse(source)
        return {e.name: found for e in facts.enums if (found := migrated(self, e, facts, resolver))}

    def imported_aliases(self, source: bytes) -> list[ImportedUse]:
        """Type aliases imported from other modules that type the status
        field of a class here built from session rows (`status: Status`
        after `from types_ import Status`): the alias is a session status
        type where it is defined."""
        from codemods.forms.literal_type import imported_aliases

        _, facts, resolver = self.analyse(source)
        return [ImportedUse(*alias) for alias in imported_aliases(facts, resolver)]

    def imported_unions(self, source: bytes) -> dict[str, list[tuple[str, int, str]]]:
        """Module-level unions made of names imported from other modules
        (``ALL = GOOD | BAD`` after ``from a import BAD, GOOD``): each union's
        name -> ``(module, level, name)`` of its imported components. A test
        with the union elsewhere is a test with each of them."""
        _, facts, _ = self.analyse(source)
        out: dict[str, list[tuple[str, int, str]]] = {}
        bindings = facts.module_scope.bindings if facts.module_scope is not None else {}
        for name, value in facts.constants.items():
            if isinstance(value, cst.Name) or len(bindings.get(name, ())) != 1:
                continue  # a plain alias, or rebound: not a union
            components = [
                facts.imported_names[c.value] for c in union_components(value) or ()
                if c.value in facts.imported_names and c.value not in facts.constants
            ]
            if components:
                out[name] = components
        return out

    def passed_arguments(self, source: bytes, functions: Iterable[str]) -> list[PassedArgument]:
        """Arguments passed here to functions named ``functions`` imported
        from other modules (``is_dead(row)``, ``checks.is_dead(row)``), with
        their origins."""
        _, facts, resolver = self.analyse(source)
        wanted = set(functions)
        out: list[PassedArgument] = []
        # What a job queue of this module passes them counts too (`queue.enqueue(checks.is_dead, row)`).
        later = [c for calls in facts.deferred.values() for c in calls]
        for call, scope in [*facts.all_calls, *later]:
            target = _imported_callee(call.func, facts) or _imported_method(call.func, scope, facts, resolver)
            if target is None or target[2] not in wanted:
                continue
            module, level, function = target
            line = facts.pos(call).start.line
            for index, arg in enumerate(call.args):
                if arg.star:
                    break  # later positions are unknown
                key = arg.keyword.value if arg.keyword is not None else str(index)
                origin = resolver.origin(arg.value, scope)
                if origin.kind == "unknown" and resolver.written_words(arg.value, scope):
                    origin = Origin(WORDS, "weak", "words written in the code")
                out.append(PassedArgument(module, level, function, key, line, resolver.code(arg.value), origin))
                read = _status_read(resolver, arg.value, scope)
                if read is not None:
                    out.append(PassedArgument(module, level, function, key + STATUS_READ, line,
                                              resolver.code(arg.value), read))
        return out

    def rewrite(self, source: bytes) -> RewriteResult:
        """Analyse and rewrite ``source``; raises ``cst.ParserSyntaxError``."""
        module, facts, resolver = self.analyse(source)
        from codemods.forms import forms

        plan = Plan()
        if not facts.ignore_file:
            for form in forms():
                form.find(self, facts, resolver, plan)
        findings = sorted(
            (f for f in plan.findings if not self._suppressed(f, facts, plan)), key=lambda f: (f.line, f.column)
        )
        expanded, kept = (
            sorted((f for f in found if not self._suppressed(f, facts, plan)), key=lambda f: (f.line, f.column))
            for found in (plan.expanded, plan.kept)
        )
        if not plan.edits:
            return RewriteResult(source, findings, facts.suppressions, expanded, kept)
        new_module = module.visit(_Apply(plan.edits, self.vocab, self.phase, plan.held))
        return RewriteResult(new_module.bytes, findings, facts.suppressions, expanded, kept)

    # -- planning ---------------------------------------------------------
    def allowed(self, verdict: Verdict) -> bool:
        """Whether a finding of this verdict is rewritten (the threshold)."""
        return verdict.confidence is not None and CONFIDENCES.index(verdict.confidence) >= self.min_rank

    def _suppressed(self, finding: CodeFinding, facts: ModuleFacts, plan: Plan) -> bool:
        lines = {finding.line, plan.statement_line.get((finding.line, finding.column), finding.line)}
        return facts.suppressions.covers(lines, finding.rule)

    def ignored(self, facts: ModuleFacts, line: int) -> bool:
        """Whether ``line`` carries a ``# migrator: ignore`` for every rule
        (comments naming rules are matched in :meth:`add`)."""
        return facts.suppressions.covers({line}, None, mark=False)

    def compared(
        self, facts: ModuleFacts, resolver: Resolver, kind: str
    ) -> Iterator[tuple[Comparison, list[str], Verdict]]:
        """Status tests against a ``literal``, a ``collection`` literal or a
        set ``call`` holding an old name, or (``helper``) a collection a
        validating helper tests a status in, with their words and verdict
        (not the tests against a named constant: those judge the constant)."""
        for comparison in facts.comparisons:
            other = comparison.other
            words = resolver.literal_words(other)
            if words is None or isinstance(other, cst.Dict) or not (set(words) & self.vocab.old):
                continue
            shape = "literal" if string_value(other) is not None else "call" if isinstance(other, cst.Call) else "collection"
            if comparison.through is not None:
                # `value in "done"` in the helper tests a substring: no status test.
                shape = "helper" if shape != "literal" else ""
            if shape != kind:
                continue
            subject = resolver.subject(comparison.subject, comparison.scope)
            if subject is None:
                continue
            verb = f"`{comparison.through}()` tests" if comparison.through is not None else "compared with"
            verdict = resolver.verdict(subject, words, verb)
            if verdict.confidence is not None:
                yield comparison, words, verdict

    def literals(self, holder: cst.BaseExpression) -> list[cst.SimpleString]:
        """The string literals of a literal, a collection or a table's keys."""
        if isinstance(holder, cst.SimpleString):
            return [holder]
        entries = table_entries(holder)
        if entries is not None:
            return [e.key for e in entries if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString)]
        return [e.value for e in (collection_elements(holder) or ()) if isinstance(e.value, cst.SimpleString)]

    def add(
        self,
        plan: Plan,
        facts: ModuleFacts,
        node: cst.CSTNode,
        statement_line: int,
        literals: Sequence[cst.SimpleString | tuple[cst.CSTNode, str]],
        verdict: Verdict,
        rule: str,
        rewrite: bool,
        edit: str,
        siblings: Sequence[cst.SimpleString] | None = None,
        kept: bool = False,
    ) -> None:
        """Record the findings of ``literals`` (or of ``(node, old name)``,
        a name a node stands for: an enum's member) and, when due, the edit
        of ``node``. ``kept``: expand's work here is to keep the old name (a
        writer): listed as contract pending, not as a finding."""
        assert verdict.confidence is not None
        named = [(x, string_value(x)) if isinstance(x, cst.SimpleString) else x for x in literals]
        if rewrite and (facts.suppressions.directives or facts.suppressions.file):
            lines = {statement_line} | {facts.pos(x).start.line for x, _ in named}
            rewrite = not facts.suppressions.covers(lines, rule, mark=False)
        # Every literal of the holder, for "is the new name there already".
        words = [v for _, v in named] if siblings is None else [string_value(x) for x in siblings]
        changes = False
        for literal, value in named:
            if value not in self.vocab.old:
                continue
            start = facts.pos(literal).start
            if self.phase == "expand" and edit.split(":", 1)[0] in _EXPANDING:
                pending = self.vocab.to_new(value) not in words
            else:
                pending = True
            changes = changes or pending
            plan.statement_line[(start.line, start.column + 1)] = statement_line
            if not pending or kept:
                # Already accepts both names, or keeps the old one by design:
                # expand's work is done here, and the site waits for contract.
                # Not the same finding again.
                (plan.kept if kept else plan.expanded).append(
                    CodeFinding(start.line, start.column + 1, value, self.vocab.to_new(value), verdict.confidence,
                                False, rule, verdict.why)
                )
                continue
            plan.findings.append(
                CodeFinding(
                    start.line, start.column + 1, value, self.vocab.to_new(value), verdict.confidence,
                    rewrite and pending, rule, verdict.why,
                )
            )
        if rewrite and changes:
            plan.edits[id(node)] = edit








# Modules parsed in this process, with their facts and positions, by content:
# a module's exports are asked for in several rounds of the project's
# analysis, then its findings, and each would otherwise parse it, visit it
# and lay out its positions again. Forked workers inherit what the gathering
# parsed. Bounded by source size: a tree and its positions take about a
# hundred times that.
_PARSED: OrderedDict[tuple[bytes, int, tuple[str, ...]], tuple[Manifest, cst.Module, ModuleFacts]] = OrderedDict()
PARSED_BUDGET = 4 << 20
_parsed_bytes = 0


def _parsed(source: bytes, manifest: Manifest, markers: tuple[str, ...]) -> tuple[cst.Module, ModuleFacts]:
    """``source`` parsed and its facts collected, or the same from an earlier
    call; the facts are a copy the caller may extend (a resolver adds the
    tests its validating helpers make)."""
    global _parsed_bytes
    key = (source, id(manifest), markers)
    found = _PARSED.get(key)
    if found is None:
        module = cst.parse_module(source)
        # The source's own lines, for suppression comments: module.code would
        # generate the same text again from the tree, at the cost of a pass.
        lines = source.decode(module.encoding, errors="replace").splitlines()
        # Laid out once, on first need, for the facts and every copy of them.
        facts = ModuleFacts(manifest, lines, functools.cache(functools.partial(Positions, module)), markers)
        walk.visit(module, facts)  # the facts change nothing: no tree is rebuilt
        bind_partials(facts)
        facts.validators = _local_validators(source, facts)
        found = (manifest, module, facts)  # the manifest kept alive: its id is in the key
        _PARSED[key] = found
        _parsed_bytes += len(source)
        while _parsed_bytes > PARSED_BUDGET and len(_PARSED) > 1:
            _parsed_bytes -= len(_PARSED.popitem(last=False)[0][0])
    else:
        _PARSED.move_to_end(key)
    _, module, facts = found
    return module, facts.copy()


def _local_validators(source: bytes, facts: ModuleFacts) -> dict[str, Validator]:
    """The module's validating helpers, looked for (on the stdlib ast) only
    when the module calls one of its own functions with two arguments or more."""
    if not any(name in facts.functions and any(len(c.args) >= 2 for c, _ in calls) for name, calls in facts.calls.items()):
        return {}
    try:
        return validating_helpers(parse_ast(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}  # newer syntax than this Python reads: no helper is known


def imported_constant(other: cst.BaseExpression, scope: Scope, facts: ModuleFacts) -> tuple[str, int, str] | None:
    """``(module, level, name)`` of a constant of another module a test is
    made with: ``NAME`` after ``from m import NAME``, or read through its
    module, ``settings.NAME`` after ``from . import settings`` (or ``import
    pkg.settings``), as a project's shared settings are."""
    if isinstance(other, cst.Name):
        if other.value not in facts.imported_names or scope.owner_of(other.value) is not facts.module_scope:
            return None
        return facts.imported_names[other.value]
    if not isinstance(other, cst.Attribute):
        return None
    if other.attr.value == "value" and isinstance(other.value, cst.Attribute):
        other = other.value  # `SessionStatus.DONE.value`: a use of the member
    head = (cst.helpers.get_full_name_for_node(other) or "").split(".", 1)[0]
    owner = scope.owner_of(head)
    if owner is not None and owner is not facts.module_scope:
        return None  # a local `settings` is no module
    if (isinstance(other.value, cst.Name) and other.value.value[:1].isupper() and other.attr.value.isupper()
            and other.value.value in facts.imported_names):
        # `SessionStatus.DONE` after `from .settings import SessionStatus`: a use of the class.
        return facts.imported_names[other.value.value]
    return _imported_callee(other, facts)


def _imported_callee(func: cst.BaseExpression, facts: ModuleFacts) -> tuple[str, int, str] | None:
    """``(module, level, function)`` of a call of a function imported from
    another module: ``f(...)`` after ``from m import f``, ``m.f(...)`` after
    ``from pkg import m`` or ``import pkg.m``."""
    if isinstance(func, cst.Name):
        if func.value in facts.imported_names and facts.module_scope is not None:
            if facts.module_scope.owner_of(func.value) is facts.module_scope:
                return facts.imported_names[func.value]
        return None
    full = cst.helpers.get_full_name_for_node(func) or ""
    head, _, rest = full.partition(".")
    if not rest:
        return None
    path, _, function = rest.rpartition(".")
    if head in facts.imported_names:
        module, level, name = facts.imported_names[head]
        return ".".join(p for p in (module, name, path) if p), level, function
    if head in facts.module_aliases:
        return ".".join(p for p in (facts.module_aliases[head], path) if p), 0, function
    return None


def _status_read(resolver: Resolver, value: cst.BaseExpression, scope: Scope) -> Origin | None:
    """The origin of the row ``value`` reads a status from (``row.get("status")``,
    a name bound from one), when it is a status read."""
    read = resolver.subject(value, scope)
    if read is None or not read.is_status or read.root is None:
        return None
    return resolver.origin(read.root, read.scope)


def _imported_method(
    func: cst.BaseExpression, scope: Scope, facts: ModuleFacts, resolver: Resolver
) -> tuple[str, int, str] | None:
    """``(module, level, "Class.method")`` of a call of a method on an
    instance of a class imported from another module (``self.policy.should_retry(...)``
    where ``self.policy`` holds a ``RetryPolicy``); its ``self`` is no argument."""
    if not isinstance(func, cst.Attribute):
        return None
    cls = resolver.instance_class(func.value, scope)
    if cls is None or "." in cls or cls in facts.classes or cls not in facts.imported_names:
        return None
    module, level, original = facts.imported_names[cls]
    return module, level, f"{original}.{func.attr.value}"


@dataclass
class Plan:
    """What the forms decide for one module: edits by node, findings, and
    what one form leaves for another (a constant's uses, held table keys)."""

    edits: dict[int, str] = field(default_factory=dict)
    findings: list[CodeFinding] = field(default_factory=list)
    statement_line: dict[tuple[int, int], int] = field(default_factory=dict)
    constant_uses: dict[str, list[Verdict]] = field(default_factory=dict)
    # Mentions of constants that a status test (or a table lookup) accounts for.
    sinks: set[int] = field(default_factory=set)
    expanded: list[CodeFinding] = field(default_factory=list)
    kept: list[CodeFinding] = field(default_factory=list)
    # Table node id -> old keys that stay as they are (reviewed on their own line).
    held: dict[int, frozenset[str]] = field(default_factory=dict)
    # Constant name -> why its length is fixed (bound to `IN (?, ?)` written
    # by hand): expand cannot add names to it.
    fixed_length: dict[str, str] = field(default_factory=dict)


class _Apply(cst.CSTTransformer):
    """Apply planned edits, found by the identity of the original nodes."""

    def __init__(
        self, edits: dict[int, str], vocab: Vocabulary, phase: Phase, held: Mapping[int, frozenset[str]] | None = None
    ) -> None:
        super().__init__()
        self.edits = edits
        self.held = held or {}
        self.vocab = vocab
        self.phase = phase

    def _collection(self, node: cst.BaseExpression, expand: bool = False) -> cst.BaseExpression:
        target = node
        if isinstance(node, cst.Call):
            target = node.args[0].value
        assert isinstance(target, (cst.Tuple, cst.List, cst.Set))
        fn = expand_elements if self.phase == "expand" or expand else contract_elements
        elements = fn(target.elements, self.vocab)
        if elements is None:
            return node
        updated = target.with_changes(elements=elements)
        if isinstance(node, cst.Call):
            return node.with_changes(args=[node.args[0].with_changes(value=updated)])
        return updated

    def leave_Comparison(self, original_node: cst.Comparison, updated_node: cst.Comparison) -> cst.BaseExpression:
        edit = self.edits.get(id(original_node))
        if edit is None:
            return updated_node
        if edit == "orm-column":
            from codemods.forms.orm_column import rewrite_comparison  # the column form's own edit, in one home

            return rewrite_comparison(updated_node, self.vocab, self.phase)
        if edit.startswith("enum-compare:"):
            from codemods.forms.enum_compare import rewrite_comparison as member_test  # `== SessionStatus.DONE`

            return member_test(updated_node, edit.split(":", 1)[1], self.vocab, self.phase)
        if edit.startswith("table-column:"):
            from codemods.forms.column_compare import rewrite_comparison as column_compare  # a table column's `==`

            return column_compare(updated_node, edit.split(":", 1)[1], self.vocab)
        target = updated_node.comparisons[0]
        op = target.operator
        left, right = updated_node.left, target.comparator
        if string_value(left) is not None and isinstance(op, (cst.Equal, cst.NotEqual)):
            left, right = right, left  # "done" == s  ->  s == ...: the subject goes first
            left = left.with_changes(lpar=[], rpar=[]) if isinstance(left, cst.Name) else left
        if edit == "compare":
            assert isinstance(right, cst.SimpleString)
            if self.phase == "expand":
                op, right = membership_of(op), pair_tuple(right, self.vocab)
            else:
                # Without the literal's own parentheses, as contract after expand writes it.
                right = restyle(right, self.vocab.to_new(string_value(right) or "")).with_changes(lpar=[], rpar=[])
        else:
            right = self._collection(right)
            if self.phase == "contract" and isinstance(right, (cst.Tuple, cst.List, cst.Set)):
                if len(right.elements) == 1 and isinstance(op, (cst.In, cst.NotIn)):
                    op, right = equality_of(op), right.elements[0].value
        return updated_node.with_changes(
            left=left, comparisons=[target.with_changes(operator=op, comparator=right)]
        )

    def _leave_collection(self, original_node: cst.CSTNode, updated_node: cst.BaseExpression) -> cst.BaseExpression:
        edit = self.edits.get(id(original_node))
        if edit in ("collection", SHARED):
            return self._collection(updated_node, expand=edit == SHARED)
        return updated_node

    def leave_Tuple(self, original_node: cst.Tuple, updated_node: cst.Tuple) -> cst.BaseExpression:
        return self._leave_collection(original_node, updated_node)

    def leave_List(self, original_node: cst.List, updated_node: cst.List) -> cst.BaseExpression:
        return self._leave_collection(original_node, updated_node)

    def leave_Set(self, original_node: cst.Set, updated_node: cst.Set) -> cst.BaseExpression:
        return self._leave_collection(original_node, updated_node)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        edit = self.edits.get(id(original_node))
        if edit == "membership":  # df["status"].isin([...]): its argument
            return self._collection(updated_node)
        if edit == "orm-column":
            from codemods.forms.orm_column import rewrite_membership  # the column form's own edit, in one home

            return rewrite_membership(updated_node, self.vocab, self.phase)
        if edit is not None and edit.startswith("table-column"):
            from codemods.forms.column_compare import rewrite_call  # col.is_in(("done", ...)), pc.equal(col, ...)

            return rewrite_call(updated_node, edit, self.vocab, self.phase)
        if edit == "orm-filter-by":
            from codemods.forms.orm_filter_by import rewrite_filter  # the filter_by form's own edit, in one home

            return rewrite_filter(updated_node, self.vocab, self.phase)
        if edit in (GROWN, GROWN + "-shared"):
            return self._grow(updated_node, expand=edit != GROWN)
        if edit == "count-lookup":
            from codemods.forms.count_lookup import rewrite as count_lookup  # counts.get("failed", 0)

            return count_lookup(updated_node, self.vocab, self.phase)
        if edit is not None and edit.startswith("sql-placeholders:"):
            from codemods.forms.sql_parameter import rewrite_call as placeholders  # IN (?, ?) with its names

            return placeholders(updated_node, edit, self.vocab, self.phase)
        return self._leave_collection(original_node, updated_node)

    def _grow(self, node: cst.Call, expand: bool) -> cst.BaseExpression:
        """``bad.add("killed")`` -> ``bad.update(("killed", "halted"))`` in
        expand; in contract the new name alone, and an ``update`` of one
        name becomes ``add`` again (so contract after expand writes what
        contract alone does)."""
        func = node.func
        assert isinstance(func, cst.Attribute)
        arg = node.args[0]
        value = arg.value
        method = func.attr.value
        if isinstance(value, cst.SimpleString):
            if self.phase == "expand" or expand:
                renamed = func.with_changes(attr=func.attr.with_changes(value=GROW_ONE[method]))
                return node.with_changes(func=renamed, args=[arg.with_changes(value=pair_tuple(value, self.vocab))])
            new = restyle(value, self.vocab.to_new(string_value(value) or ""))
            return node.with_changes(args=[arg.with_changes(value=new)])
        grown = self._collection(value, expand)
        if (
            self.phase == "contract" and not expand and method in GROW_MANY
            and isinstance(grown, cst.Tuple) and len(grown.elements) == 1  # the shape expand writes
        ):
            one = grown.elements[0].value.with_changes(lpar=[], rpar=[])
            renamed = func.with_changes(attr=func.attr.with_changes(value=GROW_MANY[method]))
            return node.with_changes(func=renamed, args=[arg.with_changes(value=one)])
        return node.with_changes(args=[arg.with_changes(value=grown)])

    def leave_BinaryOperation(
        self, original_node: cst.BinaryOperation, updated_node: cst.BinaryOperation
    ) -> cst.BaseExpression:
        if self.edits.get(id(original_node)) != "count-lookup":
            return updated_node
        from codemods.forms.count_lookup import rewrite as count_lookup  # contract of expand's sum of two entries

        return count_lookup(updated_node, self.vocab, self.phase)

    def leave_Dict(self, original_node: cst.Dict, updated_node: cst.Dict) -> cst.BaseExpression:
        if self.edits.get(id(original_node)) != "table":
            return updated_node
        fn = expand_elements if self.phase == "expand" else contract_elements
        elements = fn(updated_node.elements, self.vocab, DICT, self.held.get(id(original_node), frozenset()))
        return updated_node if elements is None else updated_node.with_changes(elements=elements)

    def leave_Subscript(self, original_node: cst.Subscript, updated_node: cst.Subscript) -> cst.BaseExpression:
        edit = self.edits.get(id(original_node))
        if edit == "count-lookup":
            from codemods.forms.count_lookup import rewrite as count_lookup  # the form's own edit, in one home

            return count_lookup(updated_node, self.vocab, self.phase)
        if edit != "literal-type":
            return updated_node
        fn = expand_elements if self.phase == "expand" else contract_elements
        elements = fn(updated_node.slice, self.vocab, SUBSCRIPT)
        return updated_node if elements is None else updated_node.with_changes(slice=elements)

    def leave_MatchSequenceElement(
        self, original_node: cst.MatchSequenceElement, updated_node: cst.MatchSequenceElement
    ) -> cst.MatchSequenceElement:
        # An item's pattern in a case on a tuple: `case ("running", "done" | "agent_responded"):`.
        if self.edits.get(id(original_node.value)) != "pattern":
            return updated_node
        return updated_node.with_changes(value=pattern_of(updated_node.value, self.vocab, self.phase))

    def leave_MatchKeywordElement(
        self, original_node: cst.MatchKeywordElement, updated_node: cst.MatchKeywordElement
    ) -> cst.MatchKeywordElement:
        # A status field's pattern in a class pattern: `case Row(status="done" | "agent_responded"):`.
        if self.edits.get(id(original_node.pattern)) != "pattern":
            return updated_node
        return updated_node.with_changes(pattern=pattern_of(updated_node.pattern, self.vocab, self.phase))

    def leave_MatchCase(self, original_node: cst.MatchCase, updated_node: cst.MatchCase) -> cst.MatchCase:
        if self.edits.get(id(original_node.pattern)) != "pattern":
            return updated_node
        return updated_node.with_changes(pattern=pattern_of(updated_node.pattern, self.vocab, self.phase))

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        if self.edits.get(id(original_node)) != "orm-lookup":
            return updated_node
        from codemods.forms.orm_lookup import rewrite_lookup  # the ORM form's own edit, in one home

        return rewrite_lookup(updated_node, self.vocab, self.phase)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        if self.edits.get(id(original_node)) == "enum-choices":
            from codemods.forms.enum import with_choices  # the enum form's own edit, in one home

            return with_choices(updated_node, self.vocab, self.phase)
        if self.edits.get(id(original_node)) != "enum-missing":
            return updated_node
        from codemods.forms.enum import with_hook  # the enum form's own hook, in one home

        return with_hook(updated_node, self.vocab, self.phase)

    def leave_SimpleString(self, original_node: cst.SimpleString, updated_node: cst.SimpleString) -> cst.BaseExpression:
        if self.edits.get(id(original_node)) == "literal":
            value = string_value(updated_node)
            if value is not None:
                return restyle(updated_node, self.vocab.to_new(value))
        return updated_node


# -- safety: the result may differ from the original only at the literals ---
class _Normalize(ast.NodeTransformer):
    """Map both vocabularies to the new names and membership tests to one
    shape, so that an intended rewrite normalises to the same tree."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        # The `_missing_` hook expand adds to a session enum (and contract drops).
        from codemods.forms.enum import is_added_choice, is_hook

        node.body = [s for s in node.body if not is_hook(s, self.vocab)
                     and not is_added_choice(s, self.vocab, node.body)] or node.body
        self.generic_visit(node)
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str) and node.value in self.vocab.all_values:
            return ast.Constant(self.vocab.to_new(node.value))
        return node

    def _dedupe(self, elts: list[ast.expr]) -> list[ast.expr]:
        seen: list[str] = []
        out = []
        for e in elts:
            key = ast.dump(e)
            if key not in seen:
                seen.append(key)
                out.append(e)
        if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in out):
            # Contract drops an old name whose new name stands later in the
            # collection, which moves that name forward: for a collection of
            # words, membership is what counts, not order.
            out.sort(key=lambda e: e.value)  # type: ignore[attr-defined]
        return out

    def _members_named(self, elts: list[ast.expr]) -> list[ast.expr]:
        """Without a name right after an enum member (``(SessionStatus.DONE,
        "agent_responded")``): the member's new name, which expand writes
        beside it (status-enum-compare) and contract drops."""
        return [e for i, e in enumerate(elts) if not (
            i and isinstance(elts[i - 1], ast.Attribute) and isinstance(e, ast.Constant)
            and isinstance(e.value, str) and e.value in self.vocab.new)]

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if len(node.ops) == 1:
            op, right, left = node.ops[0], node.comparators[0], node.left
            if isinstance(left, ast.Constant) and isinstance(left.value, str) and isinstance(op, (ast.Eq, ast.NotEq)):
                left, right = right, left
            if isinstance(left, ast.Attribute) and isinstance(op, (ast.Eq, ast.NotEq)) and not isinstance(
                    right, (ast.Constant, ast.Attribute)):
                left, right = right, left  # SessionStatus.DONE == s  ~  s in (SessionStatus.DONE, ...)
            if isinstance(op, (ast.Eq, ast.NotEq)) and isinstance(right, (ast.Constant, ast.Attribute)):
                op = ast.In() if isinstance(op, ast.Eq) else ast.NotIn()
                right = ast.Tuple([right], ast.Load())
            if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (ast.Tuple, ast.List, ast.Set)):
                right = ast.Tuple(self._dedupe(self._members_named(right.elts)), ast.Load())
            return ast.Compare(left, [op], [right])
        return node

    def visit_Tuple(self, node: ast.Tuple) -> ast.AST:
        self.generic_visit(node)
        node.elts = self._dedupe(node.elts)
        return node

    visit_List = visit_Tuple  # type: ignore[assignment]
    visit_Set = visit_Tuple  # type: ignore[assignment]

    def visit_Call(self, node: ast.Call) -> ast.AST:
        # bad.add("killed")  ~  bad.update(("killed", "halted")): one name
        # added, or several (see _Apply._grow).
        self.generic_visit(node)
        from codemods.forms.orm_lookup import normalize  # status="killed"  ~  status__in=("killed", "halted")

        from codemods.forms.orm_filter_by import normalize as filter_by  # q.filter(Row.status in (...))  ~  q.filter_by(status__in=...)

        filter_by(node)
        normalize(node, self.vocab)
        from codemods.forms.sql_parameter import normalize as placeholders  # status = ?  ~  status IN (?, ?)

        placeholders(node)
        from codemods.forms.orm_column import normalize as column_test  # Row.status.in_((...))  ~  Row.status in (...)

        compare = column_test(node)
        if compare is None:
            from codemods.forms.column_compare import collapse, normalize as table_column  # df.status.isin((...))  ~  in (...)

            compare = table_column(node)
            same = collapse(node)  # pc.or_(pc.equal(c, "halted"), pc.equal(c, "halted"))  ~  pc.equal(c, "halted")
            if same is not None:
                return same
        if compare is not None:
            return self.visit_Compare(compare)
        func = node.func
        if isinstance(func, ast.Attribute) and len(node.args) == 1 and not node.keywords:
            arg = node.args[0]
            if func.attr in ("add", "append") and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                func.attr = "update" if func.attr == "add" else "extend"
                node.args = [ast.Tuple([arg], ast.Load())]
            elif func.attr in ("update", "extend") and isinstance(arg, (ast.Tuple, ast.List, ast.Set)):
                node.args = [ast.Tuple(self._dedupe(arg.elts), ast.Load())]
        return node

    def visit_MatchOr(self, node: ast.MatchOr) -> ast.AST:
        # case "done" | "agent_responded"  ~  case "agent_responded"
        self.generic_visit(node)
        patterns = self._dedupe(node.patterns)  # type: ignore[arg-type]
        if all(isinstance(p, ast.MatchValue) and isinstance(p.value, ast.Constant) for p in patterns):
            # Alternatives of words match the same whatever their order (contract
            # drops an old name that stands before its new one).
            patterns.sort(key=lambda p: str(p.value.value))  # type: ignore[attr-defined]
        return patterns[0] if len(patterns) == 1 else ast.MatchOr(patterns)  # type: ignore[arg-type]

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        # A dispatch table gains a key with the SAME value: pairs that are
        # equal after mapping the names collapse; differing values do not.
        self.generic_visit(node)
        seen: set[str] = set()
        keys, values = [], []
        for key, value in zip(node.keys, node.values):
            pair = ast.dump(ast.Tuple([key, value], ast.Load())) if key is not None else ""
            if key is not None and pair in seen:
                continue
            seen.add(pair)
            keys.append(key)
            values.append(value)
        return ast.Dict(keys, values)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        # counts["failed"] + counts["interrupted"]  ~  counts["interrupted"]:
        # two lookups of one entry, once its names are mapped.
        self.generic_visit(node)
        if isinstance(node.op, ast.Add) and isinstance(node.left, (ast.Subscript, ast.Call)) \
                and ast.dump(node.left) == ast.dump(node.right):
            return node.left
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        # Literal["done", "agent_responded"]  ~  Literal["agent_responded"]
        self.generic_visit(node)
        if isinstance(node.slice, ast.Tuple) and len(node.slice.elts) == 1:
            node.slice = node.slice.elts[0]
        return node


def equivalent_except_literals(before: bytes, after: bytes, vocab: Vocabulary) -> str | None:
    """None when ``after`` parses and its AST equals ``before``'s but for the
    vocabulary literals and membership shapes; else a one-line reason."""
    try:
        tree_before = ast.parse(before)
    except SyntaxError as exc:
        # LibCST reads newer syntax than the running Python may: without the
        # interpreter's own parse of the original there is nothing to compare.
        version = ".".join(map(str, sys.version_info[:2]))
        return (
            f"Python {version} cannot parse this file ({exc.msg}, line {exc.lineno}) to check the rewrite; "
            "run migrator under the Python version the code is written for"
        )
    try:
        tree_after = ast.parse(after)
    except SyntaxError as exc:
        return f"the rewritten file does not parse ({exc.msg}, line {exc.lineno})"
    normalize = _Normalize(vocab)
    if ast.dump(normalize.visit(tree_before)) != ast.dump(normalize.visit(tree_after)):
        return "the rewritten file differs from the original in more than status literals"
    return None


def __getattr__(name: str) -> object:
    # LibCST's codemod runner (``python -m libcst.tool codemod
    # codemods.session_status.SessionStatusCommand``) finds its class here;
    # its base class is imported only then (libcst.codemod is slow to import).
    if name == "SessionStatusCommand":
        from codemods.command import SessionStatusCommand

        return SessionStatusCommand
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
