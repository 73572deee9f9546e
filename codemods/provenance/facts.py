"""The one pass over a module (``ModuleFacts``): scopes and bindings, evidence
that the module talks to OpenClaw, and every comparison, match, dispatch,
writer and call the resolver later asks about."""

from __future__ import annotations

import copy
import re
from typing import Callable, Iterable, Mapping, Sequence

import libcst as cst
from libcst.metadata import CodeRange

from codemods import orm, tables
from codemods.literals import string_value
from codemods.sites import Validator
from migrator.manifest import Manifest
from migrator.suppressions import parse as parse_suppressions
from codemods.provenance.model import (
    MEMBERSHIP_METHODS,
    NEGATED_MEMBERSHIP,
    _COPIES,
    _STATUS_WORD,
    Binding,
    Scope,
    Comparison,
    MatchStatement,
    Dispatch,
    LiteralType,
    EnumClass,
)
from codemods.provenance.nodes import unwrap, _index_string, _strings_and_names


class ModuleFacts(cst.CSTVisitor):
    """Collect scopes, bindings, evidence, comparisons and suppressions."""

    def __init__(
        self,
        manifest: Manifest,
        source_lines: Sequence[str],
        positions: Callable[[], Mapping[cst.CSTNode, CodeRange]],
        markers: Iterable[str] = (),
    ) -> None:
        super().__init__()
        # Positions cost a full code generation pass (most of an analysis):
        # resolved on first use, which a module with no finding never makes.
        self._resolve_positions = positions
        self._positions: Mapping[cst.CSTNode, CodeRange] | None = None
        # The source text of nodes, generated on demand (see Resolver.code);
        # shared by the copies of these facts, as the tree is.
        self.code_of: dict[cst.CSTNode, str] = {}
        self.manifest = manifest
        self.keys = frozenset(manifest.python.keys)
        self.attributes = frozenset(manifest.python.attributes)
        self.evidence_tokens = tuple(t.lower() for t in manifest.python.evidence)
        self.string_evidence = frozenset(t.lower() for t in manifest.python.string_evidence)
        self.evidence_imports = tuple(manifest.python.evidence_imports)
        self.mixed_tokens = tuple(t.lower() for t in manifest.python.mixed_sources)
        self.session_tokens = tuple(t.lower() for t in manifest.python.sources.tokens)
        self.session_events = frozenset(t.lower() for t in manifest.python.sources.events)
        # Other vocabularies this module handles (sessions_send, agents_wait...),
        # with the scope that handles them: only values of that scope are in doubt.
        self.mixed: list[tuple[str, Scope]] = []
        # What each function returns, by name (``Class.method`` for methods).
        self.function_returns: dict[str, list[tuple[cst.BaseExpression, Scope]]] = {}
        self.generators: set[str] = set()  # functions that yield (their yields are in function_returns)
        self.functions: dict[str, cst.FunctionDef] = {}
        self.classes: dict[str, cst.ClassDef] = {}
        # A method's function node -> its class name (``self`` is an instance).
        self.method_class: dict[int, str] = {}
        # Every call, for the facts other modules need (what a class is built from).
        self.all_calls: list[tuple[cst.Call, Scope]] = []
        # Names as written (for a constant's uses) and the ids of bound targets.
        self.mentions: dict[str, list[cst.Name]] = {}
        self.targets: set[int] = set()
        self.markers = tuple(markers)
        self.module_scope: Scope | None = None
        self.stack: list[Scope] = []
        self.comparisons: list[Comparison] = []
        # pl.col("status") in frame.filter(...): frame["status"] (codemods.tables).
        self.frame_columns: dict[int, cst.BaseExpression] = {}
        self._frames = False  # a frame library is imported
        self._paired: set[int] = set()  # the tests of pc.or_(pc.equal(...), pc.equal(...))
        self.evidence: list[str] = []
        self.imports: list[tuple[str, int]] = []  # (module, level)
        self.imported_names: dict[str, tuple[str, int, str]] = {}
        self.constants: dict[str, cst.BaseExpression] = {}
        # This module's validating helpers (found on the stdlib ast, see
        # :func:`codemods.sites.validating_helpers`), set by the analysis.
        self.validators: dict[str, Validator] = {}
        self.writers: list[tuple[cst.BaseExpression, cst.SimpleString, Scope, str]] = []
        # A dict literal that is one of the records of a list or tuple of
        # dict literals -> that list's id: its siblings are records of the
        # same kind (`[{"status": "in_progress"}, {"status": "done"}]`).
        self.records: dict[int, int] = {}
        self.matches: list[MatchStatement] = []
        self.dispatches: list[Dispatch] = []
        # `self.reactions.get(status)`: lookups in a table held on an object,
        # and what each method assigns to its own attributes (class, attribute)
        # -> (value, method name) per assignment.
        self.attribute_dispatches: list[Dispatch] = []
        self.self_attributes: dict[tuple[str, str], list[tuple[cst.BaseExpression | None, str]]] = {}
        # The method scope each of those values is written in (`self.hub = hub`: its `hub`).
        self.attribute_scopes: dict[int, Scope] = {}
        # Every `obj.attr = value` (target, value, scope), `self` too: what an
        # attribute of a class's instances holds (Resolver.held_attribute), and
        # the classes whose status is written from a source (Resolver.status_writes).
        self.attribute_writes: list[tuple[cst.Attribute, cst.BaseExpression, Scope]] = []
        self.item_writes: list[tuple[cst.Attribute, cst.BaseExpression, Scope]] = []
        # `rows[key] = entry` on a plain name: what a mapping a name holds is filled with.
        self.name_item_writes: list[tuple[cst.Name, cst.BaseExpression, Scope]] = []
        # Calls of plain names, for what a function's parameters are passed.
        self.calls: dict[str, list[tuple[cst.Call, Scope]]] = {}
        # The calls a job queue, an executor or a thread makes later
        # (`queue.enqueue(follow_up, key, status)` calls `follow_up(key,
        # status)`, see codemods.provenance.deferred): stand-ins, by the function's
        # name as written (`follow_up`, `tasks.follow_up`).
        self.deferred: dict[str, list[tuple[cst.Call, Scope]]] = {}
        # Calls that stand for another in the source (those, and what
        # `partial(f, a)` and its later call make, see codemods.provenance.partials):
        # the real call each stands in for, whose position is theirs.
        self.stand_ins: dict[int, cst.CSTNode] = {}
        self._through_tables: dict[str, list[tuple[cst.Call, Scope]]] | None = None
        # Function tools offered to a model, by their schema (see codemods.forms.tool_enum).
        self.tools: list[cst.Dict] = []
        self._tool_names = frozenset(manifest.python.tool_schemas.names)
        self._tool_parameters = frozenset(manifest.python.tool_schemas.parameters)
        shapes = manifest.python.deferred
        self._deferring = frozenset((*shapes.first, *shapes.second, *shapes.methods, *shapes.packed))
        self._deferring_keywords = frozenset(shapes.targets)
        self._connects = frozenset(shapes.connects)
        self._receivers = frozenset(shapes.receivers)
        # A function connected to a signal, by its name (``Class.method`` for
        # methods) -> the signals' dotted names: ``@session_settled.connect``.
        self.connected: dict[str, list[str]] = {}
        # `bad |= {"killed"}`: what grows a collection in place (see codemods.members).
        self.aug_assigns: list[tuple[cst.AugAssign, Scope]] = []
        # Lookups of an old name in a mapping (`counts["failed"]`,
        # `counts.get("failed", 0)`), and the sums expand writes of two
        # (`counts["failed"] + counts["interrupted"]`), by each side's id.
        self.literal_lookups: list[tuple[cst.BaseExpression, cst.BaseExpression, cst.SimpleString, Scope]] = []
        self.summed_lookups: dict[int, cst.BinaryOperation] = {}
        self._stored: set[int] = set()  # subscripts written to or deleted
        self.inline_dispatches: list[tuple[cst.Dict, cst.BaseExpression, Scope]] = []
        self.literal_types: list[LiteralType] = []
        self.enums: list[EnumClass] = []
        # Strings that mention an old name inside a longer text, and literal
        # returns: listed for review only.
        self.messages: list[tuple[cst.BaseExpression, list[str], Scope]] = []
        self.returns: list[tuple[cst.SimpleString, str, Scope]] = []
        # Names compared with a session event name: ``frame["event"] == "sessions.changed"``.
        self.event_names: dict[int, dict[str, str]] = {}
        # Handlers registered for a session event by a call
        # (`gw.on("sessions.changed", self.on_changed)`): function (``Class.method``
        # for a method of ``self``) -> (event, the call).
        self.handlers: dict[str, tuple[str, cst.Call]] = {}
        self.module_aliases: dict[str, str] = {}  # ``import a.b as c``: c -> a.b
        self._docstrings: set[int] = set()
        self._importing = False  # an imported name handles nothing yet
        self._fallbacks: set[int] = set()
        # `st or "done"` with `st` a name: (the name, the fallback, scope), a
        # default once the module shows `st` bound only to a status read.
        self._name_fallbacks: list[tuple[cst.Name, cst.SimpleString, Scope]] = []
        self._owners: list[str] = []
        self._classes: list[str] = []
        self._functions: list[str] = []
        self._old_words = manifest.vocabulary.old
        self._old_pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, self._old_words))) + r")\b")
        self._vocab_pattern = re.compile(
            r"\b(" + "|".join(sorted(map(re.escape, manifest.vocabulary.all_values))) + r")\b"
        )
        # Suppression and marker comments: parsed and matched by migrator.suppressions.
        self.suppressions = parse_suppressions(source_lines, "#")
        self.marker_lines: set[int] = self.suppressions.marked
        self.ignore_lines: set[int] = self.suppressions.ignore_lines
        self.ignore_file = self.suppressions.ignore_file

    def copy(self) -> "ModuleFacts":
        """The same facts, with their own list of comparisons (the one list a
        resolver extends); positions, once laid out, are shared (the
        callable that lays them out keeps them)."""
        twin = copy.copy(self)
        twin.comparisons = list(self.comparisons)
        return twin

    # -- positions -------------------------------------------------------
    def pos(self, node: cst.CSTNode) -> CodeRange:
        if self._positions is None:
            self._positions = self._resolve_positions()
        return self._positions[self.stand_ins.get(id(node), node)]

    def line(self, node: cst.CSTNode) -> int:
        """The line of a statement-level node, needed while collecting only to
        match suppression and marker comments: 0 when the file has none."""
        if not (self.marker_lines or self.ignore_lines):
            return 0
        return self.pos(node).start.line

    @property
    def scope(self) -> Scope:
        return self.stack[-1]

    # -- scopes and bindings -------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        self.module_scope = Scope(node, None)
        self.stack.append(self.module_scope)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scope.bindings.setdefault(node.name.value, []).append(Binding("def", None, self.line(node)))
        enclosing = self.scope.node
        # A method does not see its class body's names: its parent is the
        # scope around the class.
        scope = Scope(node, self.scope.parent if isinstance(enclosing, cst.ClassDef) else self.scope)
        # @client.on("sessions.changed") def handle(payload): the handler's
        # parameters are the event's payload.
        event = None
        for decorator in node.decorators:
            for token in _strings_and_names(decorator.decorator, limit=12):
                if token.lower() in self.session_tokens:
                    event = token
        for param in [*node.params.params, *node.params.kwonly_params, *node.params.posonly_params]:
            annotation = param.annotation.annotation if param.annotation is not None else None
            binding = Binding("param", param.default, self.line(param), annotation=annotation)
            if event is not None:
                binding = Binding("event", cst.SimpleString(repr(event)), binding.line)
            scope.bindings.setdefault(param.name.value, []).append(binding)
        star = node.params.star_arg
        if isinstance(star, cst.Param):
            # ``def _run(*args)``: what a call spreads into it, asked per call site.
            scope.bindings.setdefault(star.name.value, []).append(Binding("star", None, self.line(star)))
        if isinstance(enclosing, cst.ClassDef):
            self.method_class[id(node)] = enclosing.name.value
            self.functions[f"{enclosing.name.value}.{node.name.value}"] = node
        elif self.scope is self.module_scope:
            self.functions[node.name.value] = node
        for decorator in node.decorators:
            for signal in self._signals_of(decorator.decorator):
                qualified = f"{enclosing.name.value}.{node.name.value}" if isinstance(enclosing, cst.ClassDef) \
                    else node.name.value
                self.connected.setdefault(qualified, []).append(signal)
        self.stack.append(scope)
        # A function named for another vocabulary (`def sessions_send`) handles
        # it inside itself: noted in its own scope.
        self._note_identifier(node.name.value)
        self._functions.append(node.name.value)
        if node.returns is not None:
            self._owners.append(node.name.value)

    def _signals_of(self, decorator: cst.BaseExpression) -> list[str]:
        """The signals a decorator connects its function to: ``@sig.connect``,
        ``@sig.connect_via(sender)``, ``@receiver(sig)``, ``@receiver([a, b])``."""
        func = decorator.func if isinstance(decorator, cst.Call) else decorator
        if isinstance(func, cst.Attribute) and func.attr.value in self._connects:
            name = cst.helpers.get_full_name_for_node(func.value)
            return [name] if name else []
        callee = cst.helpers.get_full_name_for_node(func) or ""
        if isinstance(decorator, cst.Call) and decorator.args and callee.rsplit(".", 1)[-1] in self._receivers:
            first = decorator.args[0].value
            given = [e.value for e in first.elements] if isinstance(first, (cst.List, cst.Tuple)) else [first]
            return [n for g in given if (n := cst.helpers.get_full_name_for_node(g))]
        return []

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()
        self._functions.pop()
        if original_node.returns is not None:
            self._owners.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node.name.value)
        self.scope.bindings.setdefault(node.name.value, []).append(Binding("class", None, 0))
        if self.scope is self.module_scope:
            self.classes[node.name.value] = node
        # A class body is a scope of its own: its methods see `self`, not its names.
        self.stack.append(Scope(node, self.scope))
        bases = [cst.helpers.get_full_name_for_node(b.value) or "" for b in node.bases]
        choices = any(orm.is_choices_base(b) for b in bases)
        if not (choices or any(b.rsplit(".", 1)[-1].endswith("Enum") for b in bases)):
            return
        self._enum_members(node, choices)

    def _enum_members(self, node: cst.ClassDef, choices: bool = False) -> None:
        members = []
        for statement in node.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(
                        small.targets[0].target, cst.Name):
                    value = orm.choice_value(small.value) if choices else small.value
                    if isinstance(value, cst.SimpleString) and string_value(value) is not None:
                        members.append((small.targets[0].target.value, value))
        if members:
            self.enums.append(EnumClass(node, node.name.value, members, self.line(node), choices))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()
        self.stack.pop()

    def _bind(
        self, target: cst.BaseExpression, kind: str, value: cst.BaseExpression | None, line: int,
        index: int | None = None, column: int | None = None,
    ) -> None:
        if isinstance(target, cst.Name):
            self.targets.add(id(target))
            marked = line in self.marker_lines
            self.scope.bindings.setdefault(target.value, []).append(
                Binding(kind, value, line, marked, index=index, column=column))
            if kind == "assign" and index is None and self.scope is self.module_scope and value is not None:
                self.constants[target.value] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            # An assignment without a starred target keeps which item is
            # which (``key, row = newest(store)``); otherwise unpacking loses
            # it, and the names are bound with no value.
            plain = kind == "assign" and value is not None and index is None and not any(
                isinstance(e, cst.StarredElement) for e in target.elements)
            for i, element in enumerate(target.elements):
                if plain and isinstance(element.value, cst.Name):
                    self._bind(element.value, "unpack", value, line, i)
                else:
                    self._bind(element.value, kind, None, line)

    def visit_Assign(self, node: cst.Assign) -> None:
        line = self.line(node)
        first = node.targets[0].target
        self._owners.append(first.value if isinstance(first, cst.Name) else "")
        for target in node.targets:
            self._stored.add(id(target.target))
            self._bind(target.target, "assign", node.value, line)
            self._note_writer(target.target, node.value)
            self._note_self_attribute(target.target, node.value)
            self._note_attribute_write(target.target, node.value)
            self._note_unpacked_attributes(target.target, node.value)
            self._note_item_write(target.target, node.value)

    def _note_item_write(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        # `self.last[key] = status`: what the mapping an attribute holds is
        # filled with, as `self.rows.append(row)` fills a list.
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            self.name_item_writes.append((target.value, value, self.scope))
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Attribute) \
                and isinstance(target.value.value, cst.Name):
            self.item_writes.append((target.value, value, self.scope))
            if isinstance(value, cst.SimpleString) and string_value(value) is not None:
                # `self.last[key] = "killed"`: a status written there, if it holds statuses.
                self.writers.append((target, value, self.scope, "held"))

    def _note_unpacked_attributes(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        # `self.rows, self.tasks = result.sessions, result.tasks`: each
        # attribute is written the item of the same place, as if one by one.
        if not (isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List))):
            return
        if len(target.elements) != len(value.elements) or any(
                isinstance(e, cst.StarredElement) for e in (*target.elements, *value.elements)):
            return
        for element, item in zip(target.elements, value.elements):
            if isinstance(element.value, cst.Attribute):
                self._note_self_attribute(element.value, item.value)
                self._note_attribute_write(element.value, item.value)

    def visit_Del(self, node: cst.Del) -> None:
        self._stored.add(id(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._stored.add(id(node.target))
        self._note_self_attribute(node.target, None)
        self.aug_assigns.append((node, self.scope))

    def _note_self_attribute(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        # `self.reactions = {...}` in a method: what the instance holds
        # (None: changed in place, as `self.x |= ...` does).
        if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)):
            return
        function = self.scope.node
        if not isinstance(function, cst.FunctionDef):
            return
        cls = self.method_class.get(id(function))
        params = function.params.params
        if cls is not None and params and params[0].name.value == target.value.value:
            self.self_attributes.setdefault((cls, target.attr.value), []).append((value, function.name.value))
            if value is not None:
                self.attribute_scopes[id(value)] = self.scope

    def _note_attribute_write(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        # `snap.sessions = fetch()`, `row.status = entry.get("status")` on an
        # object this scope holds: what the attribute holds, once the
        # object's class is known (asked later).
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            self.attribute_writes.append((target, value, self.scope))

    def _note_attribute_dispatch(self, holder: cst.BaseExpression, key: cst.BaseExpression, node: cst.CSTNode) -> None:
        # self.reactions.get(row.status), self.reactions[row.status]
        if isinstance(holder, cst.Attribute) and isinstance(holder.value, cst.Name) and string_value(key) is None:
            if not isinstance(key, (cst.Integer, cst.Slice)):
                table = f"{holder.value.value}.{holder.attr.value}"
                self.attribute_dispatches.append(Dispatch(table, key, self.scope, self.line(node)))

    def _note_literal_lookup(self, node: cst.BaseExpression, holder: cst.BaseExpression, key: cst.BaseExpression) -> None:
        # counts["failed"], self.counts.get("failed", 0): read, not written
        # (the targets of an assignment are noted before their parts are visited).
        if isinstance(key, cst.SimpleString) and isinstance(holder, (cst.Name, cst.Attribute)) \
                and string_value(key) in self._old_words and id(node) not in self._stored:
            self.literal_lookups.append((node, holder, key, self.scope))

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        # Only a sum of two lookups can be expand's (`c["failed"] + c["interrupted"]`).
        if isinstance(node.operator, cst.Add) and isinstance(node.left, (cst.Subscript, cst.Call)) \
                and isinstance(node.right, (cst.Subscript, cst.Call)):
            for side in (node.left, node.right):
                self.summed_lookups[id(side)] = node

    def leave_Assign(self, original_node: cst.Assign) -> None:
        self._owners.pop()

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        target = node.target
        self._stored.add(id(target))
        self._owners.append(target.value if isinstance(target, cst.Name) else self._subject_owner(target))
        if node.value is not None:
            self._bind(node.target, "assign", node.value, self.line(node))
            if isinstance(target, cst.Name):
                # `gw: Gateway = connect()`: typed like a parameter;
                # SESSIONS: dict[str, Session] = {}: what it holds is typed.
                self.scope.bindings[target.value][-1].annotation = node.annotation.annotation
            self._note_writer(node.target, node.value)
            self._note_self_attribute(node.target, node.value)
            self._note_attribute_write(node.target, node.value)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        self._owners.pop()

    def _subject_owner(self, target: cst.BaseExpression) -> str:
        if isinstance(target, cst.Attribute):
            return target.attr.value
        return ""

    def visit_Param(self, node: cst.Param) -> None:
        self._owners.append(node.name.value)

    def leave_Param(self, original_node: cst.Param) -> None:
        self._owners.pop()

    def visit_Subscript(self, node: cst.Subscript) -> None:
        name = cst.helpers.get_full_name_for_node(node.value) or ""
        if name.rsplit(".", 1)[-1] == "Literal":
            words = [_index_string(e) for e in node.slice]
            if words and all(w is not None for w in words):
                owner = ".".join([*self._classes[-1:], *(self._owners[-1:] or [""])])
                self.literal_types.append(LiteralType(node, owner, self.scope, self.line(node)))
            return
        if isinstance(node.value, (cst.Name, cst.Dict)) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            key = node.slice[0].slice.value
            if string_value(key) is None and not isinstance(key, (cst.Integer, cst.Slice)):
                if isinstance(node.value, cst.Dict):
                    # {"done": "ok", ...}[status]: a table written in place.
                    self.inline_dispatches.append((node.value, key, self.scope))
                else:
                    self.dispatches.append(Dispatch(node.value.value, key, self.scope, self.line(node), node.value))
            else:
                self._note_literal_lookup(node, node.value, key)
        elif len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            self._note_attribute_dispatch(node.value, node.slice[0].slice.value, node)
            self._note_literal_lookup(node, node.value, node.slice[0].slice.value)

    def visit_Match(self, node: cst.Match) -> None:
        self.matches.append(MatchStatement(node, node.subject, self.scope, self.line(node)))
        self._bind_captures(node)

    def _bind_captures(self, node: cst.Match) -> None:
        # `case s if s in spec.restart_on:` / `case str() as s:`: the case's
        # capture is the subject itself (a walrus of it, for the analysis).
        for case in node.cases:
            pattern = case.pattern
            if isinstance(pattern, cst.MatchAs) and pattern.name is not None:
                self._bind(pattern.name, "walrus", node.subject, self.line(node))

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            self._docstrings.add(id(node.value))  # docstrings and bare strings are prose

    def visit_Return(self, node: cst.Return) -> None:
        function = self.scope.node
        if node.value is not None and isinstance(function, cst.FunctionDef):
            owner = self.method_class.get(id(function))
            name = f"{owner}.{function.name.value}" if owner else function.name.value
            self.function_returns.setdefault(name, []).append((node.value, self.scope))
        # return "done" / return "done" if ok else "failed": a mapping function.
        values = [node.value]
        if isinstance(node.value, cst.IfExp):
            values = [node.value.body, node.value.orelse]
        for value in values:
            if isinstance(value, cst.SimpleString) and string_value(value) in self._old_words:
                self.returns.append((value, (self._functions or ["<module>"])[-1], self.scope))

    def visit_Yield(self, node: cst.Yield) -> None:
        # What a generator yields is what iterating its call gives: taken as
        # its return (`yield key, entry` is unpacked like `return key, entry`).
        function = self.scope.node
        value = node.value
        if isinstance(value, cst.From):
            value = value.item  # yield from rows: iterating gives their items
        if value is not None and isinstance(function, cst.FunctionDef):
            owner = self.method_class.get(id(function))
            name = f"{owner}.{function.name.value}" if owner else function.name.value
            self.function_returns.setdefault(name, []).append((value, self.scope))
            self.generators.add(name)

    def _status_context(self, text: str) -> bool:
        """A message speaks of statuses when it says "status" or lists two
        values of the vocabulary ("one of running, done, failed"); "spawn
        failed" is just English."""
        if _STATUS_WORD.search(text):
            return True
        return len(set(self._vocab_pattern.findall(text))) >= 2

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        if id(node) in self._docstrings:
            return
        text = "".join(p.value for p in node.parts if isinstance(p, cst.FormattedStringText))
        found = self._old_pattern.findall(text)
        if found and self._status_context(text):
            self.messages.append((node, found, self.scope))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target, "walrus", node.value, self.line(node))

    def visit_For(self, node: cst.For) -> None:
        self._bind_loop(node.target, node.iter, self.line(node))

    def _bind_loop(self, target: cst.BaseExpression, iterable: cst.BaseExpression, line: int) -> None:
        # ``for key, row in store.items()`` / ``for i, row in enumerate(rows)``:
        # the second name is an element of the container. A copy of the
        # items taken first (``list(store.items())``, to change the store in
        # the loop) holds the same items.
        iterable = _items_copied(iterable)
        if isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 2 and isinstance(iterable, cst.Call):
            func = iterable.func
            container: cst.BaseExpression | None = None
            if isinstance(func, cst.Attribute) and func.attr.value in ("items", "values") and not iterable.args:
                container = func.value
            elif isinstance(func, cst.Name) and func.value == "enumerate" and iterable.args:
                container = iterable.args[0].value
            if container is not None:
                if isinstance(func, cst.Attribute) and func.attr.value == "items":
                    # `for (agent, status), n in counts.items()`: the key's names.
                    self._bind_key(target.elements[0].value, func.value, line)
                else:
                    self._bind(target.elements[0].value, "for", None, line)
                self._bind(target.elements[1].value, "for", container, line)
                return
        if (isinstance(target, (cst.Tuple, cst.List)) and isinstance(iterable, cst.Call)
                and all(isinstance(e.value, cst.Name) and not isinstance(e, cst.StarredElement) for e in target.elements)):
            if isinstance(iterable.func, cst.Name):
                # ``for key, entry in entries(agent)``: if ``entries`` is a
                # generator here, each item of what it yields (decided when read).
                for i, element in enumerate(target.elements):
                    self._bind(element.value, "for", iterable, line, i)
            else:
                # ``for key, raw in con.execute("SELECT ... FROM session_nodes")``:
                # each column of a row comes from where the rows come from.
                for i, element in enumerate(target.elements):
                    self._bind(element.value, "for", iterable, line, column=i)
            return
        if (isinstance(target, (cst.Tuple, cst.List)) and isinstance(iterable, (cst.List, cst.Tuple))
                and all(isinstance(e.value, cst.Name) and not isinstance(e, cst.StarredElement) for e in target.elements)
                and iterable.elements and all(isinstance(e.value, cst.Tuple) for e in iterable.elements)):
            # ``for status, colour in [("done", "green"), ...]``: each name
            # holds one column of the tuples written there.
            for i, element in enumerate(target.elements):
                self._bind(element.value, "for", iterable, line, column=i)
            return
        if (isinstance(target, (cst.Tuple, cst.List)) and isinstance(iterable, (cst.Name, cst.Attribute))
                and all(isinstance(e.value, cst.Name) and not isinstance(e, cst.StarredElement) for e in target.elements)):
            # ``for key, status, raw in rows`` (``rows = con.execute(...).fetchall()``): the same.
            for i, element in enumerate(target.elements):
                self._bind(element.value, "for", iterable, line, column=i)
            return
        self._bind(target, "for", iterable, line)

    def _bind_key(self, target: cst.BaseExpression, container: cst.BaseExpression, line: int) -> None:
        """Bind the key of an ``.items()`` loop (kind ``key``, the container
        as its value): a name, or each name of a tuple key (its ``index``).
        What a key holds is asked of how the container was built
        (:meth:`Resolver.key_subject`), never taken for the container's rows."""
        if isinstance(target, cst.Name):
            self._bind(target, "key", container, line)
        elif isinstance(target, (cst.Tuple, cst.List)) and not any(
                isinstance(e, cst.StarredElement) for e in target.elements):
            for i, element in enumerate(target.elements):
                if isinstance(element.value, cst.Name):
                    self._bind(element.value, "key", container, line, i)
                else:
                    self._bind(element.value, "for", None, line)
        else:
            self._bind(target, "for", None, line)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        # Comprehension variables are bound in the enclosing scope here: close
        # enough for provenance, and they rarely shadow anything.
        self._bind_loop(node.target, node.iter, self.line(node))

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind(node.asname.name, "with", node.item, self.line(node))

    def _note_import(self, module: str) -> None:
        self._frames = self._frames or module.split(".", 1)[0] in tables.FRAME_LIBRARIES
        if module.split(".", 1)[0] in self.evidence_imports:
            self.evidence.append(f"imports {module}")

    def leave_Import(self, original_node: cst.Import) -> None:
        self._importing = False

    def leave_ImportFrom(self, original_node: cst.ImportFrom) -> None:
        self._importing = False

    def visit_Import(self, node: cst.Import) -> None:
        self._importing = True
        for alias in node.names:
            name = cst.helpers.get_full_name_for_node(alias.name) or ""
            self.imports.append((name, 0))
            self._note_import(name)
            self._note_identifier(name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.module_aliases[alias.asname.name.value] = name
            else:
                self.module_aliases[name.split(".", 1)[0]] = name.split(".", 1)[0]

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._importing = True
        module = cst.helpers.get_full_name_for_node(node.module) if node.module else ""
        level = len(node.relative)
        self.imports.append((module or "", level))
        if not level:
            self._note_import(module or "")
        self._note_identifier(module or "")
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = cst.helpers.get_full_name_for_node(alias.name) or ""
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.imported_names[local] = (module or "", level, name)
            self.scope.bindings.setdefault(local, []).append(Binding("import", None, self.line(node)))
            self._note_identifier(name)

    # -- evidence --------------------------------------------------------
    def _note_identifier(self, text: str, in_string: bool = False) -> None:
        low = text.lower()
        for token in self.mixed_tokens:
            if token in low and not self._importing:
                self.mixed.append((token, self.scope))
                break
        for token in self.evidence_tokens:
            if token in low and (in_string or token not in self.string_evidence):
                self.evidence.append(token)
                return
        for marker in self.markers:
            if marker and marker in text:
                self.evidence.append(marker)
                return

    def visit_Name(self, node: cst.Name) -> None:
        self._note_identifier(node.value)
        if node.value in self.constants or node.value.isupper():
            # Every mention of a would-be constant: its uses decide what it is.
            self.mentions.setdefault(node.value, []).append(node)

    def visit_List(self, node: cst.List) -> None:
        # ["openclaw", "sessions", "--json"]: the CLI's session list.
        words = [string_value(e.value) for e in node.elements[:3]]
        if len(words) >= 2 and words[0] == "openclaw" and words[1]:
            self._note_identifier(f"openclaw {words[1]}", in_string=True)
        self._note_records(node)

    def visit_Tuple(self, node: cst.Tuple) -> None:
        self._note_records(node)

    def _note_records(self, node: cst.List | cst.Tuple) -> None:
        if len(node.elements) >= 2 and all(isinstance(e.value, cst.Dict) for e in node.elements):
            for element in node.elements:
                self.records[id(element.value)] = id(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._note_identifier(node.attr.value)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        value = string_value(node)
        if value is None:
            return
        if len(value) < 200 and id(node) not in self._docstrings:
            self._note_identifier(value, in_string=True)
        if value not in self._old_words and id(node) not in self._docstrings and len(value) < 2000:
            found = self._old_pattern.findall(value)
            if found and self._status_context(value):
                self.messages.append((node, found, self.scope))

    def visit_FormattedStringText(self, node: cst.FormattedStringText) -> None:
        # The text of an f-string names a table or a file as a plain string
        # does (`f"SELECT ... FROM session_nodes WHERE status IN ({marks})"`).
        if len(node.value) < 200:
            self._note_identifier(node.value, in_string=True)

    # -- comparisons and writers ----------------------------------------
    def visit_Comparison(self, node: cst.Comparison) -> None:
        if len(node.comparisons) != 1:
            return  # chained comparisons are never status tests
        target = node.comparisons[0]
        op = target.operator
        if not isinstance(op, (cst.Equal, cst.NotEqual, cst.In, cst.NotIn)):
            return  # ordered comparisons of statuses are left alone
        left, right = node.left, target.comparator
        line = self.line(node)
        self._note_event_guard(left, right)
        if isinstance(op, (cst.Equal, cst.NotEqual)) and string_value(left) is not None and string_value(right) is None:
            self.comparisons.append(Comparison(node, right, op, left, self.scope, line))
        else:
            self.comparisons.append(Comparison(node, left, op, right, self.scope, line))

    def _note_event_guard(self, left: cst.BaseExpression, right: cst.BaseExpression) -> None:
        # frame["event"] == "sessions.changed": `frame` carries a session snapshot.
        for subject, literal in ((left, right), (right, left)):
            if (string_value(literal) or "").lower() in self.session_tokens:
                root = None
                if isinstance(subject, cst.Subscript) and len(subject.slice) == 1:
                    root = subject.value
                elif isinstance(subject, cst.Attribute):
                    root = subject.value
                elif isinstance(subject, cst.Call) and isinstance(subject.func, cst.Attribute):
                    root = subject.func.value
                if isinstance(root, cst.Name):
                    owner = self.scope.owner_of(root.value) or self.scope
                    self.event_names.setdefault(id(owner), {})[root.value] = string_value(literal) or ""
                elif isinstance(subject, cst.Name):
                    self._note_event_pair(subject.value, string_value(literal) or "")

    def _note_event_pair(self, name: str, event: str) -> None:
        """``for event, payload in source.events():`` then ``event ==
        "sessions.changed"``: the names unpacked beside the event's name from
        the same value hold that event's payload."""
        owner = self.scope.owner_of(name) or self.scope
        for binding in owner.bindings.get(name, []):
            slot = binding.index if binding.index is not None else binding.column
            if binding.value is None or slot is None:
                continue
            for other, others in owner.bindings.items():
                if other != name and any(o.value is binding.value and (o.index if o.index is not None else o.column)
                                         not in (None, slot) for o in others):
                    self.event_names.setdefault(id(owner), {})[other] = event

    def _note_writer(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(value, cst.SimpleString) and string_value(value) is not None:
            key = self.status_key_of(target)
            if key is not None:
                self.writers.append((target, value, self.scope, key))

    def visit_Dict(self, node: cst.Dict) -> None:
        keys = {string_value(e.key) for e in node.elements if isinstance(e, cst.DictElement)}
        if keys & self._tool_names and keys & self._tool_parameters:
            self.tools.append(node)  # {"name": "list_sessions", "parameters": {...}}: a function tool
        for element in node.elements:
            if isinstance(element, cst.DictElement) and string_value(element.key) in self.keys:
                if isinstance(element.value, cst.SimpleString) and string_value(element.value) is not None:
                    self.writers.append((node, element.value, self.scope, "dict"))

    def visit_Call(self, node: cst.Call) -> None:
        self.all_calls.append((node, self.scope))
        self._note_handler(node)
        if isinstance(node.func, cst.Name):
            self.calls.setdefault(node.func.value, []).append((node, self.scope))
        self._note_deferred(node)
        self._note_item_call(node)
        # session_settled.connect(page_on_crash): as the decorator connects it.
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in self._connects and node.args \
                and isinstance(node.args[0].value, cst.Name):
            signal = cst.helpers.get_full_name_for_node(node.func.value)
            if signal:
                self.connected.setdefault(node.args[0].value.value, []).append(signal)
        name = cst.helpers.get_full_name_for_node(node.func) or ""
        self._note_identifier(name.rsplit(".", 1)[-1])
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "get" and node.args:
            key = node.args[0].value
            # TABLE.get(status) / {"done": ...}.get(status): a lookup keyed by a value.
            if string_value(key) is None and isinstance(func.value, cst.Dict):
                self.inline_dispatches.append((func.value, key, self.scope))
            elif string_value(key) is None and isinstance(func.value, cst.Name):
                self.dispatches.append(Dispatch(func.value.value, key, self.scope, self.line(node), func.value))
            else:
                self._note_attribute_dispatch(func.value, key, node)
                self._note_literal_lookup(node, func.value, key)
        if isinstance(func, cst.Attribute) and func.attr.value in MEMBERSHIP_METHODS and len(node.args) == 1 \
                and node.args[0].keyword is None and node.args[0].star == "":
            op: cst.BaseCompOp = cst.NotIn() if func.attr.value in NEGATED_MEMBERSHIP else cst.In()
            self.comparisons.append(Comparison(node, func.value, op, node.args[0].value, self.scope, self.line(node)))
        if self._frames:
            self._note_frame_call(node)
        # row.get("status", "done"): the default is written like a stored value.
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" and len(node.args) >= 2:
            if string_value(node.args[0].value) in self.keys and isinstance(node.args[1].value, cst.SimpleString):
                self.writers.append((node, node.args[1].value, self.scope, "default"))
        # entry.update(status="killed") writes like entry["status"] = "killed".
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("update", "setdefault"):
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value in self.keys and isinstance(arg.value, cst.SimpleString):
                    key = cst.SimpleString(repr(arg.keyword.value))
                    target = cst.Subscript(node.func.value, [cst.SubscriptElement(cst.Index(key))])
                    self.writers.append((target, arg.value, self.scope, "assign"))

    def _note_frame_call(self, node: cst.Call) -> None:
        """A column named in a frame's method, and pyarrow.compute's tests of a column."""
        tables.frame_columns(node, self.frame_columns)
        if id(node) in self._paired:
            return  # one test of a pair, noted with it
        test = tables.compute_test(node)
        if test is not None:
            pair = tables.paired_tests(node)
            if pair is not None:
                self._paired.update(id(t) for t in pair)
            column = (pair[0] if pair is not None else node).args[0].value
            self.comparisons.append(Comparison(test[0], column, test[1], test[2], self.scope, self.line(node)))

    def _note_deferred(self, node: cst.Call) -> None:
        """``queue.enqueue(follow_up, key, status)``: the call of
        ``follow_up`` it makes later, noted beside the plain calls."""
        func = node.func
        method = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if method not in self._deferring and not any(
                a.keyword is not None and a.keyword.value in self._deferring_keywords for a in node.args):
            return
        from codemods.provenance.deferred import stand_in

        made = stand_in(node, self.manifest.python.deferred)
        name = cst.helpers.get_full_name_for_node(made.func) if made is not None else None
        if made is not None and name:
            self.deferred.setdefault(name, []).append((made, self.scope))
            self.stand_ins[id(made)] = node

    def _note_item_call(self, node: cst.Call) -> None:
        """``sorted(rows, key=rank)``, ``filter(is_dead, rows)``: the calls of
        ``rank`` the call makes, each with an item of ``rows``."""
        from codemods.provenance.deferred import item_call

        found = item_call(node, self.manifest.python.deferred)
        if found is None:
            return
        made, item, iterable = found
        name = cst.helpers.get_full_name_for_node(made.func)
        if name:
            self.deferred.setdefault(name, []).append((made, self.scope))
            self.stand_ins[id(made)] = node
            self.stand_ins[id(item)] = iterable

    def calls_of(self, name: str) -> list[tuple[cst.Call, Scope]]:
        """The calls of the function ``name`` made here: plain ones, those
        a job queue, an executor or a thread makes later, and those made
        through a module table of functions (``ACTIONS[kind](key, status)``)."""
        if self._through_tables is None:
            self._through_tables = self._table_calls()
        # A receiver is called with what its signals are sent (`sig.send(key, status=s)`).
        sent = [c for signal in self.connected.get(name, ()) for c in self.deferred.get(signal, ())]
        return [*self.calls.get(name, ()), *self.deferred.get(name, ()), *self._through_tables.get(name, ()), *sent]

    def _table_calls(self) -> dict[str, list[tuple[cst.Call, Scope]]]:
        """``ACTIONS[kind](key, status)``, ``ACTIONS.get(kind)(...)``, or
        ``handler = ACTIONS.get(kind)`` then ``handler(...)``, where
        ``ACTIONS`` is a module dict of functions: a call of each of them."""
        out: dict[str, list[tuple[cst.Call, Scope]]] = {}
        for call, scope in self.all_calls:
            func: cst.BaseExpression | None = call.func
            if isinstance(func, cst.Name):
                bindings = scope.lookup(func.value)
                func = bindings[0].value if len(bindings) == 1 and bindings[0].kind == "assign" else None
            table = None
            if isinstance(func, cst.Subscript):
                table = func.value
            elif isinstance(func, cst.Call) and isinstance(func.func, cst.Attribute) and func.func.attr.value == "get":
                table = func.func.value
            held = self.constants.get(table.value) if isinstance(table, cst.Name) else None
            if not isinstance(held, cst.Dict):
                continue
            for entry in held.elements:
                if isinstance(entry, cst.DictElement) and isinstance(entry.value, cst.Name):
                    made = cst.Call(entry.value, call.args)
                    self.stand_ins[id(made)] = call
                    out.setdefault(entry.value.value, []).append((made, scope))
        return out

    def _note_handler(self, node: cst.Call) -> None:
        """``gw.on("sessions.changed", self.on_changed)``: a call given a
        session event's name and a function registers that function as the
        event's handler (as ``@gw.on("sessions.changed")`` does)."""
        events = [w for a in node.args[:2] if (w := string_value(a.value)) and w.lower() in self.session_events]
        if not events:
            return
        for arg in node.args[:3]:
            value = arg.value
            if isinstance(value, cst.Name):
                self.handlers.setdefault(value.value, (events[0], node))
            elif isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name):
                function = self.scope.node
                cls = self.method_class.get(id(function)) if isinstance(function, cst.FunctionDef) else None
                params = function.params.params if isinstance(function, cst.FunctionDef) else ()
                if cls is not None and params and params[0].name.value == value.value.value:
                    self.handlers.setdefault(f"{cls}.{value.attr.value}", (events[0], node))

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        # (row.get("status") or "done"): the fallback stands in for a stored
        # value, like a .get default; contract must rename it with the tests
        # that read it, or a row without a status changes branch.
        if not isinstance(node.operator, cst.Or):
            return
        parts = list(unwrap(node))
        access = next((p for p in parts if self.status_key_of(p) is not None), None)
        for part in parts:
            if isinstance(part, cst.SimpleString) and string_value(part) in self._old_words and id(part) not in self._fallbacks:
                self._fallbacks.add(id(part))
                if access is not None:
                    self.writers.append((access, part, self.scope, "default"))
                elif isinstance(parts[0], cst.Name):
                    self._name_fallbacks.append((parts[0], part, self.scope))

    def leave_Module(self, original_node: cst.Module) -> None:
        # `runtime_status = entry.get("status")` ... `runtime_status or "done"`:
        # the fallback stands in for the status the name was read as, when
        # that is the name's only binding.
        for name, literal, scope in self._name_fallbacks:
            bindings = scope.lookup(name.value)
            if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].value is not None \
                    and bindings[0].index is None and self.status_key_of(bindings[0].value) is not None:
                self.writers.append((bindings[0].value, literal, scope, "default"))

    # -- reading expressions ---------------------------------------------
    def status_key_of(self, node: cst.BaseExpression) -> str | None:
        """The status field name when ``node`` reads it directly, else None."""
        if isinstance(node, cst.Subscript) and len(node.slice) == 1:
            index = node.slice[0].slice
            if isinstance(index, cst.Index) and string_value(index.value) in self.keys:
                return string_value(index.value)
        if isinstance(node, cst.Attribute) and node.attr.value in self.attributes:
            return node.attr.value
        if isinstance(node, cst.Call) and node.args:
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "get":
                first = string_value(node.args[0].value)
                if first in self.keys:
                    return first
            if isinstance(func, cst.Name) and func.value == "getattr" and len(node.args) >= 2:
                second = string_value(node.args[1].value)
                if second in self.attributes:
                    return second
        return None


def _items_copied(iterable: cst.BaseExpression) -> cst.BaseExpression:
    """``store.items()`` for ``list(store.items())`` or ``sorted(store.items())``
    (the container's own items, copied); any other iterable as it is."""
    if (isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name) and iterable.func.value in _COPIES
            and iterable.args and not iterable.args[0].star):
        inner = iterable.args[0].value
        if (isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute)
                and inner.func.attr.value in ("items", "values") and not inner.args):
            return inner
    return iterable
