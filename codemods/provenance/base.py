"""The resolver's shared state (``ResolverBase``): the module's facts, the
manifest's tokens and the memo tables every part of the resolver reads, and
the methods one part calls on another, declared for the type checker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, Sequence

import libcst as cst
from libcst.metadata import CodePosition

from codemods.provenance.model import Binding, Scope, Subject, Origin, TreeKnowledge, Verdict
from codemods.provenance.facts import ModuleFacts


class ResolverBase:
    """The state the parts of :class:`~codemods.provenance.resolver.Resolver`
    share, and the methods one part asks of another (declared here for the
    type checker, each defined in its own part)."""

    def __init__(
        self,
        facts: ModuleFacts,
        module: cst.Module,
        module_evidence: list[str],
        tree: "TreeKnowledge | None" = None,
    ) -> None:
        self.facts = facts
        self.tree = tree or TreeKnowledge()
        python = facts.manifest.python
        self.session_tokens = tuple(t.lower() for t in python.sources.tokens)
        self.foreign_tokens = tuple(
            t.lower() for t in (*python.foreign.calls, *python.foreign.paths, *python.foreign.commands))
        self.containers = frozenset(python.sources.containers)
        self.path_keys = frozenset(python.sources.path_keys)
        self.foreign_keys = frozenset(python.foreign.keys)
        self._kv_reads = frozenset(python.key_value.reads)
        self._origins: dict[tuple[int, int, int], Origin] = {}
        # function id -> (start, end) of its blocks that end by returning or raising
        self._leaving: dict[int, list[tuple[CodePosition, CodePosition]]] = {}
        # function id -> the (start, end) of the statements of each of its blocks
        self._statements: dict[int, list[list[tuple[CodePosition, CodePosition]]]] = {}
        self._nesting = 0
        # Call sites a function is being read through (innermost last): what
        # ``_run(*args)`` returns depends on the words this call passes.
        self._calls: list[tuple[cst.FunctionDef, cst.Call, Scope]] = []
        self._classes: dict[str, Origin | None] = {}
        self._orm_writes: dict[str, Origin] | None = None
        self._tables: dict[str, str] | None = None
        self._held: dict[tuple[int, int], bool] = {}
        self._held_attributes: dict[str, Origin | None] = {}
        self._fills: list[tuple[cst.Attribute, cst.BaseExpression, Scope]] | None = None
        self._defaults: list[tuple[cst.BaseExpression, cst.BaseExpression, Scope]] | None = None
        self.module = module
        self.manifest = facts.manifest
        self.vocab = facts.manifest.vocabulary
        self.foreign_words = facts.manifest.python.foreign_words
        self.foreign_sources = tuple(s.lower() for s in facts.manifest.python.foreign_sources)
        self.module_evidence = module_evidence
        self.markers = facts.markers
        self._words_by_key: dict[str, set[str]] = {}
        # Calls through an attribute, by the attribute's name: asked for each
        # method whose callers are joined, so found once.
        self._calls_by_attribute: dict[str, list[tuple[cst.Call, Scope]]] | None = None
        self._foreign_names: dict[str, str | None] = {}
        # Subjects of the tests a query makes with its bound parameters
        # (codemods.forms.sql_parameter), by the id of the node standing for them.
        self.bound: dict[int, Subject] = {}
        self._helper_tests()
        self._collect_words()

    def attribute_calls(self, attribute: str) -> list[tuple[cst.Call, Scope]]:
        """The module's calls through an attribute of this name
        (``rows.append(x)``, ``self.refresh()``), with their scopes."""
        if self._calls_by_attribute is None:
            self._calls_by_attribute = {}
            for call, scope in self.facts.all_calls:
                if isinstance(call.func, cst.Attribute):
                    self._calls_by_attribute.setdefault(call.func.attr.value, []).append((call, scope))
        return self._calls_by_attribute.get(attribute, [])

    def code(self, node: cst.CSTNode) -> str:
        # A chain's why quotes the same arguments over and over: generated once.
        found = self.facts.code_of.get(node)
        if found is None:
            found = self.facts.code_of[node] = self.module.code_for_node(node).strip()
        return found

    def nearest_binding(self, use: cst.CSTNode, bindings: list[Binding]) -> Binding | None:
        """Of ``bindings`` of one name, the one whose value is written last
        at or above ``use`` (two loops of a function may bind one name: the
        one before the use holds it there), or None."""
        line = self.facts.pos(use).start.line
        before = [(self.facts.pos(b.value).start.line, i, b) for i, b in enumerate(bindings)
                  if b.value is not None and self.facts.pos(b.value).start.line <= line]
        return max(before, key=lambda t: t[:2])[2] if before else None

    def reaching(self, use: cst.CSTNode | None, bindings: list[Binding], owner: cst.CSTNode) -> list[Binding]:
        """Of ``bindings`` of one name in the function ``owner``, those that
        can hold it at ``use``: not one written in a block that ends by
        returning or raising, when ``use`` comes after that block (``if
        agent == "-subagents": new = outcomes(); ...; return``, then ``new =
        read_agent()``: the second is what a later use reads)."""
        if use is None or len(bindings) < 2 or not isinstance(owner, cst.FunctionDef):
            return bindings
        blocks = self._leaving.get(id(owner))
        if blocks is None:
            blocks = self._leaving[id(owner)] = [
                (self.facts.pos(b).start, self.facts.pos(b).end) for b in _leaving_blocks(owner.body)]
        at = self.facts.pos(use).start
        after = [(start, end) for start, end in blocks if _before(end, at)]

        def dead(binding: Binding) -> bool:
            if binding.value is None or not after:
                return False
            where = self.facts.pos(binding.value).start
            return any(not _before(where, start) and _before(where, end) for start, end in after)

        kept = [b for b in bindings if not dead(b)] or bindings
        return self._undone(use, kept, owner)

    def _undone(self, use: cst.CSTNode, bindings: list[Binding], owner: cst.FunctionDef) -> list[Binding]:
        """Without the bindings a later one undoes before ``use``: one whose
        statement stands in a block that ``use`` comes later in (``reply =
        send(...)`` then ``reply["status"]`` below it) runs on every way to
        ``use``, so what was bound before it does not reach there."""
        suites = self._statements.get(id(owner))
        if suites is None:
            suites = self._statements[id(owner)] = [
                [(self.facts.pos(s).start, self.facts.pos(s).end) for s in suite.body]
                for suite in (owner.body, *_all_suites(owner.body))]
        at = self.facts.pos(use).start

        def place(where: CodePosition) -> tuple[int, int] | None:
            # The innermost block holding `where`, and its statement there.
            found: tuple[int, int] | None = None
            span: tuple[int, int] | None = None
            for number, statements in enumerate(suites):
                for index, (start, end) in enumerate(statements):
                    if not _before(where, start) and _before(where, end):
                        size = (end.line - start.line, end.column - start.column)
                        if span is None or size < span:
                            found, span = (number, index), size
            return found

        ruling: tuple[CodePosition, Binding] | None = None
        for binding in bindings:
            if binding.value is None or binding.kind not in ("assign", "unpack"):
                continue  # a loop may run no time, a walrus may not run: neither undoes what was bound
            where = self.facts.pos(binding.value).start
            if not _before(where, at):
                continue
            spot = place(where)
            if spot is None:
                continue
            later = suites[spot[0]][spot[1] + 1:]
            if any(not _before(at, start) and _before(at, end) for start, end in later):
                if ruling is None or _before(ruling[0], where):
                    ruling = (where, binding)
        if ruling is None:
            return bindings
        start = ruling[0]

        def undone(binding: Binding) -> bool:
            if binding is ruling[1]:
                return False
            if binding.value is None:
                return binding.kind == "param"
            return _before(self.facts.pos(binding.value).start, start)

        return [b for b in bindings if not undone(b)]

    if TYPE_CHECKING:
        # Subjects (codemods.provenance.subjects)
        def subject(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> Subject | None: ...
        def _collect_words(self) -> None: ...
        def _helper_tests(self) -> None: ...
        def words_with(self, subject: Subject) -> set[str]: ...

        # Sources (codemods.provenance.sources)
        def _foreign_token(self, text: str) -> str | None: ...
        def _session_token(self, text: str) -> str | None: ...
        def _call_tokens(self, call: cst.Call) -> Iterator[str]: ...
        def absolute(self, name: str) -> str | None: ...
        def _exported(self, name: str) -> Origin | None: ...
        def _exported_session(self, name: str) -> Origin | None: ...
        def _text_origin(self, text: str) -> Origin | None: ...
        def _store_key(self, node: cst.BaseExpression) -> Origin | None: ...
        def _command_words(self, elements: Sequence[cst.BaseElement], scope: Scope, depth: int) -> list[str]: ...

        # Origins (codemods.provenance.origins)
        def imported_attribute_exports(self, where: str) -> dict[str, str]: ...
        def origin(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> Origin: ...
        def held_attribute(self, cls: str, attr: str) -> Origin | None: ...
        def set_defaults(self) -> list[tuple[cst.BaseExpression, cst.BaseExpression, Scope]]: ...
        def _local_callable(
            self, name: str, depth: int, call: cst.Call | None = None, scope: Scope | None = None
        ) -> Origin | None: ...
        def _item_origin(self, value: cst.BaseExpression, index: int, scope: Scope, depth: int) -> Origin: ...
        def returned_item(self, name: str, index: int, depth: int) -> Origin | None: ...
        def _yields_items(self, name: str, depth: int = 0) -> bool: ...

        # Names (codemods.provenance.names)
        def _name_origin(self, name: str, scope: Scope, depth: int, use: cst.Name | None = None) -> Origin: ...
        def _queued_origin(self, node: cst.Call, scope: Scope, depth: int) -> Origin | None: ...
        def _method_calls(self, method: str) -> list[tuple[cst.Call, Scope]]: ...

        # Classes (codemods.provenance.classes)
        def status_fields(self, name: str) -> list[str]: ...
        def class_origin(self, name: str) -> Origin | None: ...
        def foreign_field(self, name: str) -> str | None: ...
        def _class_of_cls(self, name: str, scope: Scope) -> str | None: ...
        def _row_argument(self, call: cst.Call, scope: Scope) -> Origin | None: ...
        def _method(self, func: cst.Attribute, scope: Scope) -> str | None: ...
        def instance_class(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> str | None: ...
        def _constructor_class(self, call: cst.Call) -> str | None: ...
        def _constructor_origin(self, call: cst.Call, scope: Scope) -> Origin | None: ...
        def _method_owner(self, cls: str, method: str) -> str: ...
        def _assigned_attribute(self, cls: str, attr: str) -> list[tuple[cst.BaseExpression | None, str]]: ...
        def built_from(self, call: cst.Call, scope: Scope) -> Origin | None: ...
        def orm_writes(self) -> dict[str, Origin]: ...
        def _class_name_origin(self, name: str, scope: Scope) -> Origin | None: ...
        def _held_class_origin(self, name: str, bindings: Sequence[Binding]) -> Origin | None: ...
        def _annotation_origin(self, name: str, bindings: Sequence[Binding]) -> Origin | None: ...

        # Columns (codemods.provenance.columns)
        def column_subject(self, node: cst.BaseExpression, scope: Scope) -> Subject | None: ...
        def mapped_tables(self) -> dict[str, str]: ...

        # Verdicts (codemods.provenance.verdicts)
        def verdict(self, subject: Subject, compared: Sequence[str], verb: str = "compared with") -> Verdict: ...


def _before(a: CodePosition, b: CodePosition) -> bool:
    return (a.line, a.column) < (b.line, b.column)


def _leaving_blocks(block: cst.BaseSuite) -> list[cst.IndentedBlock]:
    """The blocks under ``block`` (a function's body, not its nested
    functions) whose last statement returns or raises."""
    return [suite for suite in _all_suites(block) if suite.body and isinstance(suite.body[-1], cst.SimpleStatementLine)
            and isinstance(suite.body[-1].body[-1], (cst.Return, cst.Raise))]


def _suites(node: cst.CSTNode) -> Iterator[cst.IndentedBlock]:
    """The blocks of a compound statement: its body, its ``elif`` and
    ``else`` branches, its handlers, its cases."""
    for child in node.children:
        if isinstance(child, cst.IndentedBlock):
            yield child
        elif isinstance(child, (cst.If, cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally, cst.MatchCase)):
            yield from _suites(child)


def _all_suites(block: cst.BaseSuite) -> Iterator[cst.IndentedBlock]:
    """Every block under ``block``, not those of nested functions and classes."""
    for statement in getattr(block, "body", ()):
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) or not isinstance(statement, cst.BaseCompoundStatement):
            continue
        for suite in _suites(statement):
            yield suite
            yield from _all_suites(suite)
