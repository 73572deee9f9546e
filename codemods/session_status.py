"""The session-status codemod: find and rewrite comparisons with the old names,
only where the value really is a session status.

:class:`StatusRewriter` is the engine (used by migrator's pipeline);
:class:`SessionStatusCommand` wraps it for ``python -m libcst.tool codemod``.
"""

from __future__ import annotations

import argparse
import ast
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import libcst as cst
from libcst.codemod import CodemodContext, Codemod
from libcst.metadata import MetadataWrapper, PositionProvider

from codemods.edits import contract_elements, equality_of, expand_elements, membership_of, pair_tuple
from codemods.literals import restyle, string_value
from codemods.provenance import Comparison, ModuleFacts, Resolver, Verdict, collection_elements
from migrator.findings import CONFIDENCES, Confidence
from migrator.manifest import Manifest, Phase, Vocabulary, load_manifest

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
    unused_ignores: list[int] = field(default_factory=list)


class StatusRewriter:
    """Rewrite one module's session-status literals for a phase."""

    def __init__(
        self,
        manifest: Manifest,
        phase: Phase = "expand",
        min_confidence: Confidence = "likely",
        markers: Iterable[str] = (),
        import_evidence: ImportEvidence | None = None,
    ) -> None:
        self.manifest = manifest
        self.vocab: Vocabulary = manifest.vocabulary
        self.phase = phase
        self.min_rank = CONFIDENCES.index(min_confidence)
        self.markers = tuple(markers)
        self.import_evidence = import_evidence

    # -- public ------------------------------------------------------------
    def rewrite(self, source: bytes) -> RewriteResult:
        """Analyse and rewrite ``source``; raises ``cst.ParserSyntaxError``."""
        module = cst.parse_module(source)
        text = module.code
        lines = text.splitlines()
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        facts = ModuleFacts(self.manifest, lines, wrapper.resolve(PositionProvider), self.markers)
        module.visit(facts)
        evidence = list(facts.evidence)
        if self.import_evidence is not None:
            evidence += self.import_evidence(facts.imports)
        resolver = Resolver(facts, module, evidence)
        plan = _Plan()
        if not facts.ignore_file:
            self._plan_comparisons(facts, resolver, plan)
            self._plan_writers(facts, resolver, plan)
        findings = sorted(
            (f for f in plan.findings if not self._suppressed(f, facts, plan)), key=lambda f: (f.line, f.column)
        )
        unused = sorted(facts.ignore_lines - plan.used_ignores)
        if not plan.edits:
            return RewriteResult(source, findings, unused)
        new_module = module.visit(_Apply(plan.edits, self.vocab, self.phase))
        return RewriteResult(new_module.bytes, findings, unused)

    # -- planning ---------------------------------------------------------
    def _allowed(self, verdict: Verdict) -> bool:
        return verdict.confidence is not None and CONFIDENCES.index(verdict.confidence) >= self.min_rank

    def _suppressed(self, finding: CodeFinding, facts: ModuleFacts, plan: "_Plan") -> bool:
        lines = {finding.line, plan.statement_line.get((finding.line, finding.column), finding.line)}
        hit = lines & facts.ignore_lines
        if hit:
            plan.used_ignores |= hit
            return True
        return False

    def _plan_comparisons(self, facts: ModuleFacts, resolver: Resolver, plan: "_Plan") -> None:
        by_constant: dict[str, list[tuple[Comparison, Verdict]]] = {}
        for comparison in facts.comparisons:
            other = comparison.other
            literal_words = resolver.literal_words(other)
            constant = None
            if literal_words is None:
                constant = resolver.constant_collection(other, comparison.scope)
                if constant is None:
                    continue
                literal_words = resolver.literal_words(constant[1])
                if literal_words is None:
                    continue
            if not (set(literal_words) & self.vocab.old):
                continue
            subject = resolver.subject(comparison.subject, comparison.scope)
            if subject is None:
                continue
            verdict = resolver.verdict(subject, literal_words)
            if constant is not None:
                by_constant.setdefault(constant[0], []).append((comparison, verdict))
                continue
            if verdict.confidence is None:
                continue
            rule = "status-compare" if string_value(other) is not None else "status-membership"
            rewrite = self._allowed(verdict) and not self._ignored(facts, comparison.line)
            edit = "compare" if rule == "status-compare" else "membership"
            self._add(plan, facts, comparison.node, comparison.line, other, verdict, rule, rewrite, edit)
        for name, uses in by_constant.items():
            value = facts.constants[name]
            verdicts = [v for _, v in uses]
            against = [v for v in verdicts if v.confidence is None]
            if len(against) == len(verdicts):
                continue  # only ever used with another vocabulary: not ours
            if against:
                # Used with another vocabulary somewhere: a person decides.
                verdict = Verdict("possible", f"constant `{name}` is used in a status test, but {against[0].why}")
            else:
                lowest = min(verdicts, key=lambda v: CONFIDENCES.index(v.confidence))  # type: ignore[arg-type]
                verdict = Verdict(lowest.confidence, f"constant `{name}` is used in a status test: {lowest.why}")
            line = facts.pos(value).start.line
            rewrite = self._allowed(verdict) and not self._ignored(facts, line)
            self._add(plan, facts, value, line, value, verdict, "status-constant", rewrite, "collection")

    def _plan_writers(self, facts: ModuleFacts, resolver: Resolver, plan: "_Plan") -> None:
        for target, literal, scope, kind in facts.writers:
            value = string_value(literal)
            if value not in self.vocab.old:
                continue
            if kind == "dict":
                evidence = resolver.module_evidence
                verdict = Verdict(
                    "possible",
                    "a dict literal with a status key"
                    + (f"; module talks to OpenClaw ({evidence[0]})" if evidence else ""),
                )
            else:
                subject = resolver.subject(target, scope)
                if subject is None:
                    continue
                verb = "default of" if kind == "default" else "assigned to"
                verdict = resolver.verdict(subject, [value], verb)
                if verdict.confidence is None:
                    continue
            line = facts.pos(literal).start.line
            rule = "status-default" if kind == "default" else "status-writer"
            # Writers keep old names while old gateways still read the data.
            rewrite = self.phase == "contract" and self._allowed(verdict) and not self._ignored(facts, line)
            self._add(plan, facts, literal, line, literal, verdict, rule, rewrite, "literal")

    def _ignored(self, facts: ModuleFacts, line: int) -> bool:
        return line in facts.ignore_lines

    def _add(
        self,
        plan: "_Plan",
        facts: ModuleFacts,
        node: cst.CSTNode,
        statement_line: int,
        holder: cst.BaseExpression,
        verdict: Verdict,
        rule: str,
        rewrite: bool,
        edit: str,
    ) -> None:
        literals = [holder] if isinstance(holder, cst.SimpleString) else [
            e.value for e in (collection_elements(holder) or ())
        ]
        assert verdict.confidence is not None
        changes = False
        for literal in literals:
            value = string_value(literal)
            if value not in self.vocab.old:
                continue
            start = facts.pos(literal).start
            if self.phase == "expand" and edit in ("compare", "membership", "collection"):
                words = [string_value(x) for x in literals]
                pending = self.vocab.to_new(value) not in words
            else:
                pending = True
            changes = changes or pending
            plan.statement_line[(start.line, start.column + 1)] = statement_line
            plan.findings.append(
                CodeFinding(
                    start.line, start.column + 1, value, self.vocab.to_new(value), verdict.confidence,
                    rewrite and pending, rule, verdict.why,
                )
            )
        if rewrite and changes:
            plan.edits[id(node)] = edit


@dataclass
class _Plan:
    edits: dict[int, str] = field(default_factory=dict)
    findings: list[CodeFinding] = field(default_factory=list)
    statement_line: dict[tuple[int, int], int] = field(default_factory=dict)
    used_ignores: set[int] = field(default_factory=set)


class _Apply(cst.CSTTransformer):
    """Apply planned edits, found by the identity of the original nodes."""

    def __init__(self, edits: dict[int, str], vocab: Vocabulary, phase: Phase) -> None:
        super().__init__()
        self.edits = edits
        self.vocab = vocab
        self.phase = phase

    def _collection(self, node: cst.BaseExpression) -> cst.BaseExpression:
        target = node
        if isinstance(node, cst.Call):
            target = node.args[0].value
        assert isinstance(target, (cst.Tuple, cst.List, cst.Set))
        fn = expand_elements if self.phase == "expand" else contract_elements
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
                right = restyle(right, self.vocab.to_new(string_value(right) or ""))
        else:
            right = self._collection(right)
            if self.phase == "contract" and isinstance(right, (cst.Tuple, cst.List, cst.Set)):
                if len(right.elements) == 1 and isinstance(op, (cst.In, cst.NotIn)):
                    op, right = equality_of(op), right.elements[0].value
        return updated_node.with_changes(
            left=left, comparisons=[target.with_changes(operator=op, comparator=right)]
        )

    def _leave_collection(self, original_node: cst.CSTNode, updated_node: cst.BaseExpression) -> cst.BaseExpression:
        if self.edits.get(id(original_node)) == "collection":
            return self._collection(updated_node)
        return updated_node

    def leave_Tuple(self, original_node: cst.Tuple, updated_node: cst.Tuple) -> cst.BaseExpression:
        return self._leave_collection(original_node, updated_node)

    def leave_List(self, original_node: cst.List, updated_node: cst.List) -> cst.BaseExpression:
        return self._leave_collection(original_node, updated_node)

    def leave_Set(self, original_node: cst.Set, updated_node: cst.Set) -> cst.BaseExpression:
        return self._leave_collection(original_node, updated_node)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        return self._leave_collection(original_node, updated_node)

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
        return out

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if len(node.ops) == 1:
            op, right, left = node.ops[0], node.comparators[0], node.left
            if isinstance(left, ast.Constant) and isinstance(left.value, str) and isinstance(op, (ast.Eq, ast.NotEq)):
                left, right = right, left
            if isinstance(op, (ast.Eq, ast.NotEq)) and isinstance(right, ast.Constant):
                op = ast.In() if isinstance(op, ast.Eq) else ast.NotIn()
                right = ast.Tuple([right], ast.Load())
            if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (ast.Tuple, ast.List, ast.Set)):
                right = ast.Tuple(self._dedupe(right.elts), ast.Load())
            return ast.Compare(left, [op], [right])
        return node

    def visit_Tuple(self, node: ast.Tuple) -> ast.AST:
        self.generic_visit(node)
        node.elts = self._dedupe(node.elts)
        return node

    visit_List = visit_Tuple  # type: ignore[assignment]
    visit_Set = visit_Tuple  # type: ignore[assignment]


def equivalent_except_literals(before: bytes, after: bytes, vocab: Vocabulary) -> str | None:
    """None when ``after`` parses and its AST equals ``before``'s but for the
    vocabulary literals and membership shapes; else a one-line reason."""
    try:
        tree_after = ast.parse(after)
    except SyntaxError as exc:
        return f"the rewritten file does not parse ({exc.msg}, line {exc.lineno})"
    tree_before = ast.parse(before)
    normalize = _Normalize(vocab)
    if ast.dump(normalize.visit(tree_before)) != ast.dump(normalize.visit(tree_after)):
        return "the rewritten file differs from the original in more than status literals"
    return None


# -- LibCST's own codemod runner -------------------------------------------
class SessionStatusCommand(Codemod):
    """Rewrite OpenClaw session-status comparisons (failed -> interrupted, ...)."""

    DESCRIPTION: str = "Rewrite OpenClaw session-status literals where provenance holds (expand or contract)."

    def __init__(self, context: CodemodContext, phase: str = "expand", min_confidence: str = "likely") -> None:
        super().__init__(context)
        self.rewriter = StatusRewriter(load_manifest(), phase, min_confidence)  # type: ignore[arg-type]

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--phase", choices=["expand", "contract"], default="expand")
        arg_parser.add_argument(
            "--min-confidence", dest="min_confidence", choices=list(CONFIDENCES), default="likely"
        )

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        result = self.rewriter.rewrite(tree.bytes)
        if result.code == tree.bytes:
            return tree
        return cst.parse_module(result.code)
