"""Provenance: is this value really a session status?

One pass over a module collects scopes and bindings, evidence that the module
talks to OpenClaw, and every comparison made with the same subject. The
resolver then answers, for a compared expression: what is it (a ``status``
read from which row), where did the row come from, and how sure can we be.
Evidence weighs both ways (SPEC 2): a sessions_list result raises confidence;
a ``sessions_send`` result, ``outcome``, ``acp``, a process or cron record, or
a comparison of the same subject with a word of another vocabulary removes it.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Mapping, Sequence, TypeVar

import libcst as cst
from libcst.metadata import CodeRange

from codemods import orm, tables
from codemods.literals import string_value
from codemods.partials import getter_read, passed_key
from codemods.row_shape import shape_key
from codemods.sites import Validator
from codemods.words import FOREIGN_EXPORT, MAPPED_EXPORT, TABLE_EXPORT, foreign_token, words_of
from migrator.findings import Confidence
from migrator.engines.python import resolve_import
from migrator.manifest import Manifest
from migrator.suppressions import parse as parse_suppressions

NORMALIZERS = frozenset({"lower", "strip", "casefold", "lstrip", "rstrip"})
MARK_STATUS = "session-status"
# Calls whose result is their first argument decoded: provenance flows through.
DECODERS = frozenset({"load", "loads", "read", "read_text", "parse", "decode", "dict", "list", "json"})
# Calls whose result stands for their first argument's file or rows: a path
# opened, globbed or wrapped keeps naming what it names.
# Class methods that build an instance: SessionRow.from_row(row).
_CONSTRUCTORS = ("from", "parse", "load", "model_validate", "construct", "create", "build")
# Calls that send, encode or wrap a payload: what they return answers it.
_TRANSPORTS = frozenset({
    "Request", "urlopen", "request", "post", "get", "put", "invoke", "call", "fetch", "dumps", "encode",
    "send_json", "send", "recv", "ws_call", "rpc",
})
_LITERALS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.List, cst.Tuple, cst.Dict)
# Calls that run a command line: their output is what the command prints.
_COMMANDS = frozenset({"run", "check_output", "Popen", "getoutput", "split"})
# Functions that copy a record with some fields replaced (by their module's
# dotted name, whatever alias imports them), and methods that do, given the
# fields by keyword or, for pydantic, as an ``update`` dict.
COPIERS = frozenset({"dataclasses.replace", "attrs.evolve", "attr.evolve", "attrs.assoc", "attr.assoc", "copy.replace"})
_COPY_METHODS = frozenset({"_replace", "model_copy", "copy"})
# Calls that build a table of rows: pd.DataFrame(rows),
# DataFrame.from_dict(store), pd.read_json(path) (pandas), pl.from_dicts(rows)
# (polars), pa.Table.from_pylist(rows) (pyarrow). A column's `==` compares
# element by element (see codemods.forms.column_compare).
TABLES = frozenset({"DataFrame", "from_dict", "from_records", "json_normalize", "read_json", "read_csv", "read_sql",
                    "read_sql_query", "read_parquet", "LazyFrame", "from_dicts", "read_ndjson", "scan_ndjson",
                    "scan_parquet", "from_pandas", "from_arrow", "from_pylist", "from_pydict", "read_table"})
PASS_THROUGH = frozenset({"open", "Path", "PurePath", "glob", "iglob", "rglob", "sorted", "reversed", "iter",
                          "tuple", "next"}) | TABLES
# Methods that test membership in their argument: df["status"].isin([...])
# (pandas), pl.col("status").is_in([...]) (polars).
# SQLAlchemy's (and peewee's) column operators: Row.status.in_([...]), .not_in([...]).
MEMBERSHIP_METHODS = tables.MEMBERSHIP | orm.COLUMN_MEMBERSHIP
NEGATED_MEMBERSHIP = orm.NEGATED
# A queue's methods (asyncio, queue, multiprocessing): what is got from it is what was put.
# Calls that copy an iterable's items into a new list, in order or sorted.
_COPIES = frozenset({"list", "tuple", "sorted", "reversed"})
_QUEUE_PUTS = frozenset({"put", "put_nowait"})
# Methods that fill a list held by an attribute (`ctx.sessions.extend(rows)`).
_FILLS = frozenset({"extend", "append"})
_QUEUE_GETS = frozenset({"get", "get_nowait"})
_STATUS_WORD = re.compile(r"\b(?:status|statuses|state)\b", re.IGNORECASE)


@dataclass
class Binding:
    kind: str  # assign | for | with | param | import | walrus
    value: cst.BaseExpression | None
    line: int
    marked: bool = False
    annotation: cst.BaseExpression | None = None
    # ``key, row = newest(store)``: the name holds item ``index`` of ``value``.
    index: int | None = None
    # ``for key, status in con.execute("SELECT ...")``: the name holds column
    # ``column`` of each row of ``value``.
    column: int | None = None


@dataclass
class Scope:
    node: cst.CSTNode
    parent: "Scope | None"
    bindings: dict[str, list[Binding]] = field(default_factory=dict)

    def lookup(self, name: str) -> list[Binding]:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.bindings:
                return scope.bindings[name]
            scope = scope.parent
        return []

    def owner_of(self, name: str) -> "Scope | None":
        scope: Scope | None = self
        while scope is not None:
            if name in scope.bindings:
                return scope
            scope = scope.parent
        return None


@dataclass
class Comparison:
    """One comparison of a subject with string literals, as collected, or
    the membership test a validating helper makes (``through`` names it:
    ``one_of(row["status"], {...})`` tests ``row["status"] in {...}``)."""

    node: cst.Comparison | cst.Call
    subject: cst.BaseExpression
    op: cst.BaseCompOp
    other: cst.BaseExpression  # the literal, collection or name compared with
    scope: Scope
    line: int
    through: str | None = None


@dataclass
class MatchStatement:
    """A ``match`` whose cases test string literals."""

    node: cst.Match
    subject: cst.BaseExpression
    scope: Scope
    line: int


@dataclass
class Dispatch:
    """``TABLE[key]`` / ``TABLE.get(key)``: a lookup keyed by an expression."""

    table: str
    key: cst.BaseExpression
    scope: Scope
    line: int
    node: cst.Name | None = None


@dataclass
class LiteralType:
    """A ``Literal[...]`` of strings, and the name it annotates (if any)."""

    node: cst.Subscript
    owner: str
    scope: Scope
    line: int


@dataclass
class EnumClass:
    """An ``Enum`` subclass whose members are string literals."""

    node: cst.ClassDef
    name: str
    members: list[tuple[str, cst.SimpleString]]
    line: int
    # A Django ``TextChoices`` / ``IntegerChoices``: its members may be
    # ``value, label`` tuples (the member's literal is the value), and its
    # ``.values`` / ``.choices`` are what a model field accepts.
    choices: bool = False


@dataclass(frozen=True)
class Subject:
    """What a compared expression is: a key for "same subject" checks, and a
    description of how it reads the status."""

    key: str
    is_status: bool  # reads the manifest's field (row["status"], .get, .status)
    root: cst.BaseExpression | None
    scope: Scope
    description: str
    marked: bool = False
    # Why it is known to hold no session status (a column of another table).
    apart: str = ""


@dataclass(frozen=True)
class Origin:
    kind: str  # session | foreign | mixed (both, at different call sites) | unknown
    strength: str  # strong | weak
    why: str


_UNKNOWN = Origin("unknown", "weak", "")


@dataclass(frozen=True)
class TreeKnowledge:
    """What the rest of the project says about this module's names: the
    module's own dotted name, and the project's functions that return session
    rows and classes built from session statuses (dotted name -> chain)."""

    module: str = ""
    is_package: bool = False
    display: str = ""
    exports: Mapping[str, str] = field(default_factory=dict)
    # What other modules pass this module's functions: function name ->
    # ``(parameter index or keyword, origin kind, strength, call site, why)``
    # per argument.
    passed: Mapping[str, Sequence[tuple[str, str, str, str, str]]] = field(default_factory=dict)
    # The project's validating helpers other modules define (dotted name ->
    # parameters): a call of one imported here is a membership test.
    validators: Mapping[str, Validator] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    confidence: Confidence | None  # None: not a session status (leave alone)
    why: str


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
        # Calls of plain names, for what a function's parameters are passed.
        self.calls: dict[str, list[tuple[cst.Call, Scope]]] = {}
        # The calls a job queue, an executor or a thread makes later
        # (`queue.enqueue(follow_up, key, status)` calls `follow_up(key,
        # status)`, see codemods.deferred): stand-ins, by the function's
        # name as written (`follow_up`, `tasks.follow_up`).
        self.deferred: dict[str, list[tuple[cst.Call, Scope]]] = {}
        # Calls that stand for another in the source (those, and what
        # `partial(f, a)` and its later call make, see codemods.partials):
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
        # `bad |= {"killed"}`: what grows a collection in place (see codemods.members).
        self.aug_assigns: list[tuple[cst.AugAssign, Scope]] = []
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
        metadata wrapper keeps them)."""
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
        self.stack.append(scope)
        # A function named for another vocabulary (`def sessions_send`) handles
        # it inside itself: noted in its own scope.
        self._note_identifier(node.name.value)
        self._functions.append(node.name.value)
        if node.returns is not None:
            self._owners.append(node.name.value)

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
            self._bind(target.target, "assign", node.value, line)
            self._note_writer(target.target, node.value)
            self._note_self_attribute(target.target, node.value)
            self._note_attribute_write(target.target, node.value)
            self._note_unpacked_attributes(target.target, node.value)

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

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
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

    def leave_Assign(self, original_node: cst.Assign) -> None:
        self._owners.pop()

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        target = node.target
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
        elif len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            self._note_attribute_dispatch(node.value, node.slice[0].slice.value, node)

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
        from codemods.deferred import stand_in

        made = stand_in(node, self.manifest.python.deferred)
        name = cst.helpers.get_full_name_for_node(made.func) if made is not None else None
        if made is not None and name:
            self.deferred.setdefault(name, []).append((made, self.scope))
            self.stand_ins[id(made)] = node

    def calls_of(self, name: str) -> list[tuple[cst.Call, Scope]]:
        """The calls of the function ``name`` made here: plain ones, those
        a job queue, an executor or a thread makes later, and those made
        through a module table of functions (``ACTIONS[kind](key, status)``)."""
        if self._through_tables is None:
            self._through_tables = self._table_calls()
        return [*self.calls.get(name, ()), *self.deferred.get(name, ()), *self._through_tables.get(name, ())]

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
        if access is None:
            return
        for part in parts:
            if isinstance(part, cst.SimpleString) and string_value(part) in self._old_words and id(part) not in self._fallbacks:
                self._fallbacks.add(id(part))
                self.writers.append((access, part, self.scope, "default"))

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


def status_root(node: cst.BaseExpression) -> cst.BaseExpression:
    """The object a direct status read is made on (``row`` in ``row["status"]``)."""
    if isinstance(node, cst.Subscript):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.value
    if isinstance(node, cst.Call):
        if isinstance(node.func, cst.Attribute):
            return node.func.value
        return node.args[0].value
    return node


def unwrap(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The expressions a compared value may really be: through ``.lower()``,
    ``.strip()``, ``str(...)`` and each operand of an ``or`` fallback chain."""
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in NORMALIZERS and not node.args:
            yield from unwrap(func.value)
            return
        if isinstance(func, cst.Name) and func.value == "str" and len(node.args) == 1:
            yield from unwrap(node.args[0].value)
            return
    if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
        yield from unwrap(node.left)
        yield from unwrap(node.right)
        return
    if isinstance(node, cst.NamedExpr):  # (st := row["status"]) == "done"
        yield from unwrap(node.value)
        return
    yield node


class Resolver:
    """Answers provenance questions over a module's collected facts."""

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
        self.foreign_keys = frozenset(python.foreign.keys)
        self._kv_reads = frozenset(python.key_value.reads)
        self._origins: dict[tuple[int, int, int], Origin] = {}
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
        self.module = module
        self.manifest = facts.manifest
        self.vocab = facts.manifest.vocabulary
        self.session_words = self.vocab.all_values
        self.foreign_words = facts.manifest.python.foreign_words
        self.foreign_sources = tuple(s.lower() for s in facts.manifest.python.foreign_sources)
        self.module_evidence = module_evidence
        self.markers = facts.markers
        self._words_by_key: dict[str, set[str]] = {}
        # Calls through an attribute, by the attribute's name: asked for each
        # method whose callers are joined, so found once.
        self._calls_by_attribute: dict[str, list[tuple[cst.Call, Scope]]] | None = None
        # Subjects of the tests a query makes with its bound parameters
        # (codemods.forms.sql_parameter), by the id of the node standing for them.
        self.bound: dict[int, Subject] = {}
        self._helper_tests()
        self._collect_words()

    # -- text helpers ----------------------------------------------------
    def code(self, node: cst.CSTNode) -> str:
        # A chain's why quotes the same arguments over and over: generated once.
        found = self.facts.code_of.get(node)
        if found is None:
            found = self.facts.code_of[node] = self.module.code_for_node(node).strip()
        return found

    def literal_words(self, node: cst.BaseExpression) -> list[str] | None:
        """Strings of a literal or a collection literal; None if not all strings."""
        value = string_value(node)
        if value is not None:
            return [value]
        entries = table_entries(node)
        if entries is not None:
            return [string_value(e.key) or "" for e in entries if isinstance(e, cst.DictElement)]
        elements = collection_elements(node)
        if elements is None:
            return None
        out = []
        for element in elements:
            v = string_value(element.value)
            if v is None:
                return None
            out.append(v)
        return out

    def module_constant(self, node: cst.BaseExpression, scope: Scope) -> tuple[str, cst.BaseExpression] | None:
        """``(name, literal)`` when ``node`` names a module-level constant: a
        collection, a table or a single string (``FINISHED_OK = "done"``)."""
        if isinstance(node, cst.Name) and node.value in self.facts.constants:
            owner = scope.owner_of(node.value)
            if owner is not None and owner is self.facts.module_scope and len(owner.bindings[node.value]) == 1:
                value = self.facts.constants[node.value]
                if collection_elements(value) is not None or table_entries(value) is not None:
                    return node.value, value
                if isinstance(value, cst.SimpleString) and string_value(value) is not None:
                    return node.value, value
        return None

    def held_table(self, dispatch: Dispatch) -> cst.Dict | None:
        """The dict literal a lookup that is no module constant reads: a local
        bound once to it (``actions = {...}``), or an attribute of ``self``
        assigned it once, in ``__init__``, and nowhere else
        (``self.reactions = {...}``). Only where every other use of it is a
        lookup too: a counter (``counts[st] += 1``) or a table that is
        iterated or passed on is more than a dispatch table."""
        obj, dot, attr = dispatch.table.partition(".")
        owner = dispatch.scope.owner_of(obj)
        if owner is None or not isinstance(owner.node, cst.FunctionDef):
            return None  # a module constant is judged by its uses (the constant form)
        value: cst.BaseExpression | None = None
        within: cst.CSTNode = owner.node
        if not dot:
            bindings = owner.bindings[obj]
            if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].index is None:
                value = bindings[0].value
        else:
            cls = self.facts.method_class.get(id(owner.node))
            params = owner.node.params.params
            if cls is None or not params or params[0].name.value != obj:
                return None
            # The class that assigns it, or the base of this module it inherits it from.
            assigned = self._assigned_attribute(cls, attr)
            if len(assigned) == 1 and assigned[0][1] == "__init__":
                # Every `self.<attr>` of the module must be a lookup: a
                # subclass may look it up with another vocabulary's value.
                module = self.facts.module_scope
                value, within = assigned[0][0], module.node if module is not None else owner.node
        if not isinstance(value, cst.Dict) or table_entries(value) is None:
            return None
        key = (id(value), id(within))
        if key not in self._held:
            self._held[key] = _only_looked_up(within, attr if dot else obj, bool(dot))
        return value if self._held[key] else None

    def union_constant(self, node: cst.BaseExpression, scope: Scope) -> tuple[str, list[cst.Name]] | None:
        """``(name, components)`` when ``node`` names a module-level union of
        constants (``ALL = DONE_STATES | FAIL_STATES``), literals among them
        (``ENDED = BROKEN | {"done", "killed"}``: the components are the
        constants; :func:`union_literals` gives the literals)."""
        if isinstance(node, cst.Name) and node.value in self.facts.constants:
            owner = scope.owner_of(node.value)
            if owner is not None and owner is self.facts.module_scope and len(owner.bindings[node.value]) == 1:
                value = self.facts.constants[node.value]
                if not isinstance(value, cst.Name):  # a plain alias is not a union
                    components = union_components(value)
                    if components or union_literals(value):
                        return node.value, components or []
        return None

    def union_verdict(self, comparison: Comparison, name: str) -> Verdict:
        """The verdict a test with the union ``name`` gives each of its constants."""
        line = comparison.line or self.facts.pos(comparison.other).start.line
        subject = self.subject(comparison.subject, comparison.scope)
        if subject is None:
            return Verdict(None, f"`{self.code(comparison.subject)}` (line {line}) is not a session status")
        verdict = self.verdict(subject, [])
        if verdict.confidence is None:
            return Verdict(None, f"{verdict.why} (line {line}, through `{name}`)")
        return Verdict(verdict.confidence, f"through `{name}`: {verdict.why}")

    # -- subjects --------------------------------------------------------
    def subject(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> Subject | None:
        node = tables.column_read(node, self.facts.frame_columns)
        if isinstance(node, cst.IfExp):
            # `RunStatus(raw) if raw else None`: what either branch reads, a status read first.
            found = [s for s in (self.subject(node.body, scope, depth), self.subject(node.orelse, scope, depth)) if s]
            return next((s for s in found if s.is_status), found[0] if found else None)
        for part in unwrap(node):
            column = self.column_subject(part, scope)
            if column is not None:
                return column
        for part in unwrap(node):
            key = self.facts.status_key_of(part)
            if key is not None:
                root = status_root(part)
                # Keyed by scope too: `row` in another function is another value.
                return Subject(f"{id(scope)}:{self.code(root)}.{key}", True, root, scope, f"`{self.code(part)}`")
        for part in unwrap(node):
            # `r.get(field)` where every call passes `field="status"`.
            key = passed_key(self, part, scope)
            if key is not None:
                root = status_root(part)
                return Subject(f"{id(scope)}:{self.code(root)}.{key}", True, root, scope,
                               f"`{self.code(part)}` (given `{key}` by every call)")
            # `status_of(r)` where `status_of = itemgetter("status")`.
            got = getter_read(self, part, scope)
            if got is not None:
                return Subject(f"{id(scope)}:{self.code(got[1])}.{got[0]}", True, got[1], scope, f"`{self.code(part)}`")
        for part in unwrap(node):
            if isinstance(part, cst.Call) and depth < 4:
                returned = self._helper_subject(part, scope, depth) or self._enum_subject(part, scope, depth)
                if returned is not None:
                    return returned
        for part in unwrap(node):
            if isinstance(part, cst.Name):
                bindings = scope.lookup(part.value)
                owner = scope.owner_of(part.value) or scope
                marked = any(b.marked for b in bindings)
                if depth < 4:
                    for binding in self._reaching_keys(part, bindings):
                        if binding.kind == "key" and binding.value is not None:
                            inner = self.key_subject(binding.value, binding.index, owner, depth + 1)
                            if inner is not None and inner.is_status:
                                return Subject(
                                    inner.key, True, inner.root, inner.scope,
                                    f"`{part.value}` (a key of `{self.code(binding.value)}`, {inner.description})",
                                    marked or inner.marked,
                                )
                        if binding.kind in ("assign", "walrus") and binding.value is not None:
                            inner = self.subject(binding.value, owner, depth + 1)
                            if inner is not None and inner.is_status:
                                return Subject(
                                    inner.key, True, inner.root, inner.scope,
                                    f"`{part.value}` (bound from {inner.description})", marked or inner.marked,
                                )
                return Subject(f"{id(owner)}:{part.value}", False, None, owner, f"`{part.value}`", marked)
        return None

    def _reaching_keys(self, use: cst.Name, bindings: list[Binding]) -> list[Binding]:
        """``bindings`` without the key bindings that do not reach ``use``:
        where a name is bound by several loops of one function (comprehension
        names share it), only the nearest above the use holds it there."""
        keys = [b for b in bindings if b.kind == "key"]
        if not keys or len(bindings) == 1:
            return bindings
        line = self.facts.pos(use).start.line
        before = [(self.facts.pos(b.value).start.line, i, b) for i, b in enumerate(bindings)
                  if b.value is not None and self.facts.pos(b.value).start.line <= line]
        nearest = max(before, key=lambda t: t[:2])[2] if before else None
        return [b for b in bindings if b.kind != "key" or b is nearest]

    def key_subject(
        self, container: cst.BaseExpression, index: int | None, scope: Scope, depth: int
    ) -> Subject | None:
        """What a key of ``container`` reads (item ``index`` of a tuple key):
        the counted values of a ``Counter`` built from a comprehension
        (``Counter((agent_of(r), r.get("status")) for r in rows)``) or the
        keys of a dict comprehension (``{r["status"]: ... for r in rows}``),
        bound once to the name looked up."""
        if not isinstance(container, cst.Name):
            return None
        bindings = scope.lookup(container.value)
        owner = scope.owner_of(container.value) or scope
        if len(bindings) != 1 or bindings[0].kind != "assign" or bindings[0].index is not None:
            return None
        value = bindings[0].value
        key: cst.BaseExpression | None = None
        if isinstance(value, cst.DictComp):
            key = value.key
        elif isinstance(value, cst.Call) and len(value.args) == 1 and not value.args[0].star \
                and value.args[0].keyword is None and isinstance(value.args[0].value, (cst.GeneratorExp, cst.ListComp)) \
                and (cst.helpers.get_full_name_for_node(value.func) or "").rsplit(".", 1)[-1] == "Counter":
            key = value.args[0].value.elt
        if key is None:
            return None
        if index is not None:
            key = _plain_item(key, index) if isinstance(key, cst.Tuple) else None
            if key is None:
                return None
        return self.subject(key, owner, depth + 1)

    def _enum_subject(self, call: cst.Call, scope: Scope, depth: int) -> Subject | None:
        """``RunStatus(r["status"])``: an ``Enum`` of this module (or a class
        imported from another, where it may be one) built from one status
        read is that status, as the enum holds it."""
        if len(call.args) != 1 or call.args[0].star or call.args[0].keyword is not None:
            return None
        callee = cst.helpers.get_full_name_for_node(call.func) or ""
        head = callee.split(".", 1)[0]
        enum = callee in {e.name for e in self.facts.enums}
        imported = (head in self.facts.imported_names or head in self.facts.module_aliases) and callee not in self.facts.classes
        if not (enum or imported) or not callee.rsplit(".", 1)[-1][:1].isupper():
            return None
        inner = self.subject(call.args[0].value, scope, depth + 1)
        if inner is None or not inner.is_status:
            return None
        return Subject(inner.key, True, inner.root, inner.scope, f"`{self.code(call)}` ({inner.description})", inner.marked)

    def _helper_subject(self, call: cst.Call, scope: Scope, depth: int) -> Subject | None:
        """``status_of(r)`` where a helper of this module returns a status
        read of its parameter (``return str(row.get("status") or "").lower()``):
        a status read of what this call passes, with that argument's provenance."""
        func = call.func
        skip = 0
        if isinstance(func, cst.Name):
            if scope.owner_of(func.value) is not self.facts.module_scope:
                return None  # a local name shadows the module's function
            name = func.value
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            method = self._method(func, scope)
            if method is None:
                return None
            name, skip = method, 1  # `self.status_of(r)`: `self` is no argument
        else:
            return None
        function = self.facts.functions.get(name)
        if function is None:
            return None
        positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)][skip:]
        for value, inner_scope in self.facts.function_returns.get(name, []):
            inner = self.subject(value, inner_scope, depth + 1)
            if inner is None or not inner.is_status or inner.root is None:
                continue
            shown = f"`{self.code(call)}` (what `{name.rsplit('.', 1)[-1]}()` returns, {inner.description})"
            root = inner.root
            owner = inner_scope.owner_of(root.value) if isinstance(root, cst.Name) else None
            if isinstance(root, cst.Name) and owner is not None and owner.node is function:
                if not any(b.kind == "param" for b in owner.bindings[root.value]):
                    return Subject(inner.key, True, root, inner.scope, shown, inner.marked)
                argument = _argument(call, positional, root.value)
                if argument is None:
                    return None  # a default, or passed through `*args`: not known here
                field = inner.key.rsplit(".", 1)[-1]
                return Subject(f"{id(scope)}:{self.code(argument)}.{field}", True, argument, scope, shown, inner.marked)
            return Subject(inner.key, True, root, inner.scope, shown, inner.marked)
        return None

    def _collect_words(self) -> None:
        for comparison in self.facts.comparisons:
            words = self.literal_words(comparison.other)
            if words is None:
                const = self.module_constant(comparison.other, comparison.scope)
                if const is not None:
                    words = self.literal_words(const[1])
            union = self.union_constant(comparison.other, comparison.scope)
            if union is not None:
                words = []
                for component in union[1]:
                    part = self.module_constant(component, self.facts.module_scope or comparison.scope)
                    words += (self.literal_words(part[1]) or []) if part is not None else []
                for literal in union_literals(self.facts.constants[union[0]]):
                    words += self.literal_words(literal) or []
            if not words:
                continue
            subject = self.subject(comparison.subject, comparison.scope)
            if subject is not None:
                self._words_by_key.setdefault(subject.key, set()).update(words)
        for match in self.facts.matches:
            words = [string_value(lit) or "" for case in match.node.cases for lit in case_literals(case.pattern)]
            subject = self.subject(match.subject, match.scope)
            if words and subject is not None:
                self._words_by_key.setdefault(subject.key, set()).update(words)
        for target, value, scope, kind in self.facts.writers:
            if kind in ("dict", "default"):
                continue
            subject = self.subject(target, scope)
            word = string_value(value)
            if subject is not None and word is not None:
                self._words_by_key.setdefault(subject.key, set()).add(word)

    def _helper_tests(self) -> None:
        """Add the membership test each call of a validating helper makes
        (``one_of(row["status"], {"done", ...})``) to the module's
        comparisons: judged, and its collection rewritten, like an ``in``."""
        for call, scope in self.facts.all_calls:
            found = self._validator(call.func, scope)
            if found is None:
                continue
            name, (positional, pairs) = found
            for tested, collection in pairs:
                subject, other = _argument(call, positional, tested), _argument(call, positional, collection)
                if subject is not None and other is not None:
                    self.facts.comparisons.append(
                        Comparison(call, subject, cst.In(), other, scope, self.facts.line(call), name))
                    break

    def _validator(self, func: cst.BaseExpression, scope: Scope) -> tuple[str, Validator] | None:
        """The validating helper a call calls, if it is one of the project's:
        a function of this module, or one imported from another module."""
        name = cst.helpers.get_full_name_for_node(func) or ""
        if not name:
            return None
        if name in self.facts.validators and scope.owner_of(name) is self.facts.module_scope:
            return name, self.facts.validators[name]
        full = self.absolute(name) if name.split(".", 1)[0] not in self.facts.functions else None
        if full is None or not self.tree.validators:
            return None
        for key, validator in self.tree.validators.items():
            # A tree scanned from above its import root names `src.app.x`.
            if key == full or key.endswith("." + full) or full.endswith("." + key):
                return name.rsplit(".", 1)[-1], validator
        return None

    def words_with(self, subject: Subject) -> set[str]:
        return self._words_by_key.get(subject.key, set())

    # -- origins ---------------------------------------------------------
    def _foreign_token(self, text: str) -> str | None:
        """A foreign source named by an identifier's words (``proc_info``,
        ``job``): the weakest sign, asked only when nothing is known of how
        the value was built."""
        return foreign_token(text, self.foreign_sources)

    def _source_in(self, text: str) -> tuple[str, str] | None:
        """``(kind, token)`` when a call name or a string names a source of
        the manifest; a foreign one wins (``sessions_send`` says "sessions" too)."""
        low = text.lower()
        for token in self.foreign_tokens:
            if token in low:
                return "foreign", token
        for token in self.session_tokens:
            if token in low:
                return "session", token
        return None

    def _session_token(self, text: str) -> str | None:
        found = self._source_in(text)
        if found is not None and found[0] == "session":
            return found[1]
        for marker in self.markers:
            if marker and marker in text:
                return marker
        return None

    def _call_tokens(self, call: cst.Call) -> Iterator[str]:
        name = cst.helpers.get_full_name_for_node(call.func)
        if name:
            yield name
            # A function imported from a module (or called through one) also
            # answers to the module's name: lets a marker name a whole module.
            head = name.split(".", 1)[0]
            if head in self.facts.imported_names:
                module, _, original = self.facts.imported_names[head]
                yield f"{module}.{original}"
            elif head in self.facts.module_aliases:
                yield self.facts.module_aliases[head] + name[len(head):]

    def absolute(self, name: str) -> str | None:
        """The project-wide dotted name of a local name (``client.list_sessions``
        -> ``app.client.list_sessions``), or None when it is not the tree's."""
        head, _, rest = name.partition(".")
        tail = f".{rest}" if rest else ""
        if head in self.facts.imported_names:
            module, level, original = self.facts.imported_names[head]
            base = resolve_import(self.tree.module, self.tree.is_package, module, level)
            return f"{base}.{original}{tail}".lstrip(".")
        if head in self.facts.module_aliases:
            return self.facts.module_aliases[head] + tail
        if head in self.facts.functions or head in self.facts.classes:
            return f"{self.tree.module}.{name}".lstrip(".")
        return None

    def _exported(self, name: str) -> Origin | None:
        """What the project knows of a callable named ``name`` here: that
        it returns session rows, or (a function of another module that
        calls `sessions_send`) a foreign record."""
        full = self.absolute(name)
        if full is None or not self.tree.exports:
            return None
        why = self.tree.exports.get(full)
        if why is None:
            # A tree scanned from above its import root names `src.app.x`.
            why = next((w for k, w in self.tree.exports.items() if k.endswith("." + full) or full.endswith("." + k)),
                       None)
        if why is None:
            return None
        if why.startswith(FOREIGN_EXPORT):
            return Origin("foreign", "strong", why[len(FOREIGN_EXPORT):])
        return Origin("session", "strong", why)

    def _exported_session(self, name: str) -> Origin | None:
        """A class or callable of the project known to carry session statuses."""
        known = self._exported(name)
        return known if known is not None and known.kind == "session" else None

    def _text_origin(self, text: str, what: str) -> Origin | None:
        found = self._source_in(text)
        if found is None:
            return None
        kind, token = found
        if kind == "foreign":
            return Origin(kind, "strong", f"the value comes from `{token}`")
        sources = self.manifest.python.sources
        if any(token == t.lower() for t in sources.paths):
            why = f"a path naming `{token}`"
        elif any(token == t.lower() for t in sources.commands):
            why = f"the output of `{token}`"
        elif any(token == t.lower() for t in sources.tables):
            why = f"a query of `{token}`"
        else:
            why = f"a `{token}` result"
        return Origin(kind, "strong", why)

    def origin(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> Origin:
        """Where the object a status is read from comes from."""
        key = (id(node), id(scope), id(self._calls[-1][1]) if self._calls else 0)
        cached = self._origins.get(key)
        if cached is not None:
            return cached
        if depth > 40 or self._nesting > 40:
            # Each step is memoised; the bound stops long chains of helpers,
            # methods and classes (asked afresh from a class or a call site).
            return _UNKNOWN
        self._origins[key] = _UNKNOWN  # a cycle (a helper calling itself) is unknown
        self._nesting += 1
        try:
            found = self._origin(node, scope, depth)
        finally:
            self._nesting -= 1
        self._origins[key] = found
        return found

    def _origin(self, node: cst.BaseExpression, scope: Scope, depth: int) -> Origin:
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            text = string_value(node) if isinstance(node, cst.SimpleString) else self.code(node)
            return self._text_origin(text or "", "the path") or _UNKNOWN
        if isinstance(node, (cst.List, cst.Tuple)) and node.elements:
            # ["openclaw", "sessions", "--json"]: a command line, read as words.
            # The leading words count: ["openclaw", "sessions", "--json", str(n)].
            words = self._command_words(node.elements, scope, 0)
            return self._text_origin(" ".join(words), "the command") or _UNKNOWN if words else _UNKNOWN
        if isinstance(node, cst.Dict):  # {"tool": "sessions_list", "args": {...}}
            for entry in node.elements[:6]:
                if isinstance(entry, cst.DictElement) and isinstance(entry.value, cst.SimpleString):
                    inner = self.origin(entry.value, scope, depth + 1)
                    if inner.kind != "unknown":
                        return inner
            return self._spread_origin(node, scope, depth)
        if isinstance(node, cst.BinaryOperation):  # Path(base) / "sessions.json", base + "/sessions.json"
            for part in (node.left, node.right):
                inner = self.origin(part, scope, depth + 1)
                if inner.kind != "unknown":
                    return inner
            return _UNKNOWN
        if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
            return self.origin(node.elt, scope, depth + 1)
        if isinstance(node, cst.DictComp):
            return self.origin(node.value, scope, depth + 1)
        if isinstance(node, cst.Await):
            return self.origin(node.expression, scope, depth + 1)
        if isinstance(node, cst.IfExp):
            node = cst.BooleanOperation(node.body, cst.Or(), node.orelse)
        if isinstance(node, cst.BooleanOperation):  # rows or [], cached or fetch()
            for part in (node.left, node.right):
                inner = self.origin(part, scope, depth + 1)
                if inner.kind != "unknown":
                    return inner
            return _UNKNOWN
        if isinstance(node, cst.NamedExpr):
            return self.origin(node.value, scope, depth + 1)
        if isinstance(node, cst.Call):
            return self._call_origin(node, scope, depth)
        if isinstance(node, (cst.Subscript, cst.Attribute)):
            if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
                label = string_value(node.slice[0].slice.value) or ""
            elif isinstance(node, cst.Attribute):
                label = node.attr.value
            else:
                label = ""
            foreign = (label if label in self.foreign_keys else self._foreign_token(label)) if label else None
            if foreign:
                return Origin("foreign", "strong", f"the value comes from `{foreign}`")
            held = self._property_origin(node, scope, depth) if isinstance(node, cst.Attribute) else None
            if held is not None:
                return held
            inner = self.origin(node.value, scope, depth + 1)
            if inner.kind == "session" and label in self.containers:
                return Origin("session", inner.strength, f"the `{label}` of {inner.why}")
            return inner
        if isinstance(node, cst.Name):
            return self._name_origin(node.value, scope, depth, node)
        return _UNKNOWN

    def _spread_origin(self, node: cst.Dict, scope: Scope, depth: int) -> Origin:
        """A row copied into a new dict (``{"key": key, **entry}``) is that
        row: its status is read from the copy. A status written there
        (``{**entry, "status": rec["status"]}``) comes from where its value does."""
        for entry in node.elements:
            if isinstance(entry, cst.DictElement) and string_value(entry.key) in self.facts.keys:
                value = entry.value
                if self.facts.status_key_of(value) is not None:
                    value = status_root(value)
                inner = self.origin(value, scope, depth + 1)
                if inner.kind != "unknown":
                    return Origin(inner.kind, inner.strength, f"a copy of a row, its status from {inner.why}")
                return _UNKNOWN
        for entry in node.elements:
            if isinstance(entry, cst.StarredDictElement):
                inner = self.origin(entry.value, scope, depth + 1)
                if inner.kind != "unknown":
                    return Origin(inner.kind, inner.strength, f"a copy of {inner.why}")
        return _UNKNOWN

    def _call_origin(self, node: cst.Call, scope: Scope, depth: int) -> Origin:
        name = cst.helpers.get_full_name_for_node(node.func) or ""
        if name:
            found = self._text_origin(name, f"`{name}()`")
            if found is not None:
                return Origin(found.kind, "strong", f"a `{name}` result" if found.kind == "session" else
                              f"the value comes from `{name}`")
            found = None
        # A string argument names the source: invoke("sessions_list"),
        # glob("agents/*/sessions/sessions.json"), run(["openclaw", "sessions", "--json"]).
        # A payload names it too: Request(url, data=json.dumps({"tool": "sessions_list"})).
        last = name.rsplit(".", 1)[-1]
        # Literals name a source in any call; a payload built elsewhere only
        # in a call that sends or encodes it.
        for shapes in (_LITERALS, (cst.Name, cst.Call) if last in _TRANSPORTS else ()):
            if shapes and shapes[0] is cst.Name and name and not any(p[:1].isupper() for p in name.split(".")):
                # A function of the project known to return another
                # vocabulary's record (`gateway.send(key, text)` calls
                # `sessions_send`) is that, whatever names it is given: a
                # row's key passed to it names no source. (A class's method,
                # `Seat.from_row(r)`, is built from what it is given, below.)
                exported = self._exported(name)
                if exported is not None and exported.kind == "foreign":
                    return exported
            for arg in node.args[:6]:
                value = arg.value
                if isinstance(value, shapes):
                    inner = self.origin(value, scope, depth + 1)
                    if inner.kind != "unknown" and inner.strength == "strong":
                        return inner
        for token in self._call_tokens(node):
            session = self._session_token(token)
            if session:
                return Origin("session", "strong", f"a `{session}` result")
        cls = self._class_of_cls(node.func.value, scope) if isinstance(node.func, cst.Name) else None
        if cls is not None:
            # `cls(...)` in a class method builds the class: what it is built from.
            built = self.class_origin(cls)
            if built is not None:
                return built
        # Seat.from_row(r): built from what this call passes, before what the class is elsewhere.
        built = self._constructor_origin(node, scope)
        if built is not None:
            return built
        if name:
            known = self._exported(name)
            if known is not None:
                return known
            local = self._local_callable(name, depth, node, scope)
            if local is not None:
                return local
            foreign = self._foreign_token(name.rsplit(".", 1)[-1])
            if foreign:
                return Origin("foreign", "strong", f"the value comes from `{foreign}`")
        if isinstance(node.func, cst.Attribute):
            # gw.list_sessions() where gw = Gateway(): what that method returns.
            method = self._method(node.func, scope)
            if method is not None:
                known = self._exported(method)
                if known is not None:
                    return known
                local = self._local_callable(method, depth, node, scope)
                if local is not None:
                    return local
        queued = self._queued_origin(node, scope, depth)
        if queued is not None:
            return queued
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" and node.args \
                and string_value(node.args[0].value) in self.foreign_keys:
            # run.get("outcome"), as run["outcome"]: a foreign record.
            return Origin("foreign", "strong", f"the value comes from `{string_value(node.args[0].value)}`")
        queried = self._query_origin(node, scope)
        if queried is not None:
            return queried
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in self._kv_reads:
            from codemods.stores import stored_origin  # r.hgetall(ROW_KEY.format(key=k)): what is stored there

            stored = stored_origin(node, scope, self, depth)
            if stored is not None:
                return stored
        if isinstance(node.func, cst.Attribute):
            # rows.items(), handle.read(), data.get("sessions"), cur.fetchall()
            inner = self.origin(node.func.value, scope, depth + 1)
            if inner.kind != "unknown":
                label = string_value(node.args[0].value) if node.args else None
                if inner.kind == "session" and node.func.attr.value == "get" and label in self.containers:
                    return Origin("session", inner.strength, f"the `{label}` of {inner.why}")
                return inner
        if node.args and (last in DECODERS or last in PASS_THROUGH or last in _COMMANDS):
            # json.load(open(p)): decoding keeps the provenance of what is decoded.
            inner = self.origin(node.args[0].value, scope, depth + 1)
            if inner.kind != "unknown":
                if last in DECODERS:
                    return Origin(inner.kind, inner.strength, f"decoded from {inner.why}")
                return inner
        return _UNKNOWN

    def _query_origin(self, node: cst.Call, scope: Scope) -> Origin | None:
        """The rows of a SQLAlchemy query of a session class: ``select(Seat)``,
        ``db.query(Seat)...``, what ``db.scalars(stmt)`` / ``db.execute(stmt)``
        run it for (``stmt`` a name bound once to one), ``db.get(Seat, key)``."""
        model = orm.query_model(node) or orm.fetched_model(node)
        if model is None and node.args and not node.args[0].star and isinstance(node.func, cst.Attribute):
            query = node.args[0].value
            if isinstance(query, cst.Name):
                bindings = scope.lookup(query.value)
                query = bindings[0].value if len(bindings) == 1 and bindings[0].value is not None else query
            model = orm.query_model(query)
        if model is None:
            return None
        found = self.class_origin(model)
        if found is None or found.kind == "unknown":
            return None
        return Origin(found.kind, found.strength, f"rows of a query of `{model}`, {found.why}")

    def _property_origin(self, node: cst.Attribute, scope: Scope, depth: int) -> Origin | None:
        """``gw.sessions`` where ``gw`` is an instance of a class whose
        ``sessions`` is a property: what the property returns."""
        cls = self.instance_class(node.value, scope)
        if cls is None:
            return None
        method = self._method_owner(cls, node.attr.value)
        function = self.facts.functions.get(method)
        if function is not None:
            return self._local_callable(method, depth) if _decorated(function, "property") else None
        if cls in self.facts.classes:
            held = self.held_attribute(cls, node.attr.value)
            if held is not None:
                return held
        known = self._exported(method)
        return known if known is not None and known.kind in ("session", "foreign") else None

    def held_attribute(self, cls: str, attr: str) -> Origin | None:
        """What ``attr`` of the instances of ``cls`` (a class of this module)
        holds, where every value this module gives it that tells anything
        tells the same: assigned on an instance (``snap.sessions =
        fetch()`` after ``snap = Snapshot()``, ``self.rows = ...`` in a
        method) or passed by keyword to the class (``Snapshot(sessions=rows)``).
        None when nothing tells, or values of two kinds meet there."""
        key = f"{cls}.{attr}"
        if key in self._held_attributes:
            return self._held_attributes[key]
        self._held_attributes[key] = None  # an attribute assigned from itself tells nothing
        found: list[tuple[Origin, str]] = []
        for target, value, scope in [*self.facts.attribute_writes, *self.attribute_fills()]:
            if target.attr.value != attr or self.instance_class(target.value, scope) != cls:
                continue
            origin = self.origin(value, scope)
            if origin.kind != "unknown":
                found.append((origin, f"line {self.facts.pos(value).start.line}"))
        fields = self.status_fields(cls)
        for call, scope in self.facts.calls.get(cls, []):
            if scope.owner_of(cls) is not self.facts.module_scope:
                continue
            for index, arg in enumerate(call.args):
                if arg.star:
                    break  # `Snapshot(*parts)`: which field gets what is unknown
                # By keyword, or by position in the class's fields (`LoadResult(rows, tasks)`).
                named = arg.keyword.value if arg.keyword is not None else (
                    fields[index] if index < len(fields) else None)
                if named == attr:
                    origin = self.origin(arg.value, scope)
                    if origin.kind != "unknown":
                        found.append((origin, f"line {self.facts.pos(call).start.line}"))
        kinds = {o.kind for o, _ in found}
        held: Origin | None = None
        if len(kinds) == 1 and kinds <= {"session", "foreign"} and all(o.strength == "strong" for o, _ in found):
            origin, where = found[0]
            held = Origin(origin.kind, "strong", f"`{key}`, given at {where} {origin.why}")
        self._held_attributes[key] = held
        return held

    def attribute_fills(self) -> list[tuple[cst.Attribute, cst.BaseExpression, Scope]]:
        """``ctx.sessions.extend(page["sessions"])``, ``snap.rows.append(row)``
        on an object this scope holds: the list the attribute holds is
        filled with those rows (target, what fills it, scope), as an
        assignment of them would give it."""
        if self._fills is None:
            self._fills = []
            for call, scope in self.facts.all_calls:
                func = call.func
                if (isinstance(func, cst.Attribute) and func.attr.value in _FILLS and len(call.args) == 1
                        and not call.args[0].star and call.args[0].keyword is None
                        and isinstance(func.value, cst.Attribute) and isinstance(func.value.value, cst.Name)):
                    self._fills.append((func.value, call.args[0].value, scope))
        return self._fills

    def imported_attribute_exports(self, where: str) -> dict[str, str]:
        """``module.Class.attr`` for the attributes this module gives the
        instances of a class it imports from the project (``ctx =
        Context()``, then ``ctx.sessions.extend(page.get("sessions", []))``),
        where every value that tells anything tells the same: the module
        that defines the class, and those that read the attribute, learn
        what it holds."""
        found: dict[str, list[tuple[Origin, int]]] = {}
        for target, value, scope in [*self.facts.attribute_writes, *self.attribute_fills()]:
            cls = self.instance_class(target.value, scope)
            if cls is None or cls in self.facts.classes or cls.split(".", 1)[0] not in self.facts.imported_names:
                continue
            full = self.absolute(cls)
            if full is None:
                continue
            origin = self.origin(value, scope)
            if origin.kind != "unknown":
                found.setdefault(f"{full}.{target.attr.value}", []).append(
                    (origin, self.facts.pos(value).start.line))
        out: dict[str, str] = {}
        for key, origins in found.items():
            kinds = {o.kind for o, _ in origins}
            if len(kinds) != 1 or not kinds <= {"session", "foreign"} or any(o.strength != "strong" for o, _ in origins):
                continue
            origin, line = origins[0]
            prefix = FOREIGN_EXPORT if origin.kind == "foreign" else ""
            shown = key.rsplit(".", 2)
            out[key] = f"{prefix}`{shown[-2]}.{shown[-1]}`, filled at {where}:{line} with {origin.why}"
        return out

    def _local_callable(
        self, name: str, depth: int, call: cst.Call | None = None, scope: Scope | None = None
    ) -> Origin | None:
        """A function of this module returns what its ``return`` statements
        return; a class of this module is what it is built from. When that
        is unknown in general, ``call`` (made in ``scope``) may tell: a helper
        ``_run(*args)`` runs the command line its caller passes."""
        if name in self.facts.classes:
            return self.class_origin(name)
        function = self.facts.functions.get(name)
        if function is None:
            return None
        # Read through this call first: what it passes speaks before what
        # the helper's names say (`proc` in `proc = subprocess.run(...)`).
        if call is not None and scope is not None and len(self._calls) < 4:
            if all(f is not function for f, _, _ in self._calls):
                self._calls.append((function, call, scope))
                try:
                    found = self._returned(name, depth)
                finally:
                    self._calls.pop()
                if found is not None:
                    return found
        return self._returned(name, depth)

    def _item_origin(self, value: cst.BaseExpression, index: int, scope: Scope, depth: int) -> Origin:
        """Where item ``index`` of ``value`` comes from: an element of a
        tuple written there, or of the tuples a helper of this module
        returns (``return key, store[key]``)."""
        if depth > 12:
            return _UNKNOWN
        if isinstance(value, cst.Await):
            value = value.expression
        if isinstance(value, (cst.Tuple, cst.List)):
            element = _plain_item(value, index)
            return _UNKNOWN if element is None else self.origin(element, scope, depth + 1)
        if not isinstance(value, cst.Call):
            return _UNKNOWN
        if isinstance(value.func, cst.Name):
            name: str | None = value.func.value
        elif isinstance(value.func, cst.Attribute):
            # `done, pending = await client.wait(ids)`: a method's tuple.
            name = self._method(value.func, scope)
        else:
            name = None
        if name is None:
            return _UNKNOWN
        if name in self.facts.functions:
            return self.returned_item(name, index, depth) or _UNKNOWN
        # A helper of another module whose tuples the project knows.
        known = self._exported(f"{name}{_ITEM.format(index)}")
        return known if known is not None else _UNKNOWN

    def returned_item(self, name: str, index: int, depth: int) -> Origin | None:
        """Where item ``index`` of the tuples the function ``name`` of this
        module returns comes from (``return key, store[key]``)."""
        for returned, inner_scope in self.facts.function_returns.get(name, []):
            element = _plain_item(returned, index)
            if element is None:
                if name not in self.facts.generators and self._yields_items(name):
                    # `return json_entries(d)`: iterating it gives what that generator yields.
                    inner = self._item_origin(returned, index, inner_scope, depth + 1)
                    if inner.kind != "unknown":
                        return inner
                continue
            inner = self.origin(element, inner_scope, depth + 1)
            if inner.kind != "unknown":
                line = self.facts.pos(self.facts.functions[name]).start.line
                verb = "yields" if name in self.facts.generators else "returns"
                return Origin(inner.kind, inner.strength,
                              f"item {index + 1} of what `{name}()` (line {line}) {verb}, {inner.why}")
        return None

    def _yields_items(self, name: str, depth: int = 0) -> bool:
        """Whether iterating a call of the function ``name`` of this module
        gives what a generator of this module yields: it is one, or each of
        its returns is a call of one (``return sqlite_entries(d)`` or
        ``return json_entries(d)``, picked by where the store is)."""
        if name in self.facts.generators:
            return True
        returns = self.facts.function_returns.get(name, [])
        if not returns or depth > 3:
            return False
        return all(isinstance(v, cst.Call) and isinstance(v.func, cst.Name) and v.func.value != name
                   and self._yields_items(v.func.value, depth + 1) for v, _ in returns)

    def _returned(self, name: str, depth: int) -> Origin | None:
        for value, inner_scope in self.facts.function_returns.get(name, []):
            inner = self.origin(value, inner_scope, depth + 1)
            if inner.kind != "unknown":
                line = self.facts.pos(self.facts.functions[name]).start.line
                verb = "yields" if name in self.facts.generators else "returns"
                return Origin(inner.kind, inner.strength, f"what `{name}()` (line {line}) {verb}, {inner.why}")
        return None

    def _command_words(self, elements: Sequence[cst.BaseElement], scope: Scope, depth: int) -> list[str]:
        """The leading words of a command line: string literals, and what a
        ``*name`` spreads (a list bound to it, or a helper's ``*args`` as the
        call being read passes them)."""
        words: list[str] = []
        for element in elements:
            if isinstance(element, cst.Element):
                word = string_value(element.value)
                if word is None and not words:
                    # [OPENCLAW, *args]: the program named by a constant.
                    word = self._program_word(element.value, scope, depth)
                if word is None:
                    break
                words.append(word)
                continue
            more = None
            if isinstance(element, cst.StarredElement) and isinstance(element.value, cst.Name):
                more = self._spread_words(element.value.value, scope, depth)
            if more is None:
                break
            words += more
        return words

    def _program_word(self, node: cst.BaseExpression, scope: Scope, depth: int) -> str | None:
        """The program a command line's first item names when it is no
        literal: a name bound once to a string, to ``shutil.which("prog")``,
        to ``os.environ.get("VAR", "prog")`` / ``os.getenv(...)``, or to an
        ``or`` of those (``shutil.which("openclaw") or "openclaw"``)."""
        if depth > 6:
            return None
        word = string_value(node)
        if word is not None:
            return word
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            return self._program_word(node.left, scope, depth + 1) or self._program_word(node.right, scope, depth + 1)
        if isinstance(node, cst.Call) and node.args and not any(a.star for a in node.args):
            last = (cst.helpers.get_full_name_for_node(node.func) or "").rsplit(".", 1)[-1]
            if last == "which":
                return string_value(node.args[0].value)
            if last in ("get", "getenv") and len(node.args) == 2:
                return string_value(node.args[1].value)
            return None
        if isinstance(node, cst.Name):
            bindings = scope.lookup(node.value)
            owner = scope.owner_of(node.value) or scope
            if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].value is not None \
                    and bindings[0].index is None:
                return self._program_word(bindings[0].value, owner, depth + 1)
        return None

    def _spread_words(self, name: str, scope: Scope, depth: int) -> list[str] | None:
        if depth > 6:
            return None
        owner = scope.owner_of(name) or scope
        for binding in scope.lookup(name):
            if binding.kind == "assign" and isinstance(binding.value, (cst.List, cst.Tuple)):
                return self._command_words(binding.value.elements, owner, depth + 1)
            if binding.kind != "star" or not isinstance(owner.node, cst.FunctionDef):
                continue
            for function, call, call_scope in reversed(self._calls):
                if function is not owner.node:
                    continue
                skip = len(function.params.posonly_params) + len(function.params.params)
                words: list[str] = []
                for arg in call.args[skip:]:
                    if arg.keyword is not None:
                        break
                    if arg.star == "*" and isinstance(arg.value, cst.Name):
                        more = self._spread_words(arg.value.value, call_scope, depth + 1)
                        if more is None:
                            break
                        words += more
                        continue
                    word = string_value(arg.value) if not arg.star else None
                    if word is None:
                        break
                    words.append(word)
                return words
        return None

    def class_origin(self, name: str) -> Origin | None:
        """A class whose instances carry session statuses: one built with a
        status read from a session row, in this module or another."""
        if name in self._classes:
            return self._classes[name]
        self._classes[name] = None
        found: Origin | None = None
        known = self._exported_session(name)
        typed = self.foreign_field(name)
        shaped = self.row_shape(name) if typed is None else None
        if known is not None:
            found = known
        elif typed is not None:
            found = Origin("foreign", "strong", typed)
        elif shaped is not None:
            found = Origin("session", "strong", shaped)
        else:
            for call, scope in [*self.facts.calls.get(name, []), *self._cls_calls(name)]:
                built = self.built_from(call, scope)
                if built is not None:
                    found = Origin(built.kind, built.strength, f"a `{name}` built at line "
                                   f"{self.facts.pos(call).start.line} from {built.why}")
                    break
            else:
                found = self.orm_writes().get(name)
        self._classes[name] = found
        return found

    def row_shape(self, name: str) -> str | None:
        """Why a class of this module is a session row type: its annotated
        fields have the shape the manifest gives a session row (the status
        field, every identity key and one of the others: a ``TypedDict`` of
        ``sessions_list`` rows), or None. The shape, not the class's name,
        is the evidence: another vocabulary's records lack those keys."""
        rows = self.manifest.gateway_rows
        if name not in self.facts.classes or not rows.identity or not rows.any_of:
            return None
        from codemods.row_shape import wire_aliases  # Field(alias="sessionId"): the row's key

        fields = set(self.status_fields(name)) | wire_aliases(self.facts.classes[name])
        found = sorted(fields & self.facts.keys)
        others = [k for k in rows.any_of if k in fields]
        if not found or not others or not set(rows.identity) <= fields:
            return None
        shown = ", ".join(f"`{k}`" for k in (*rows.identity, *others, found[0]))
        return f"a `{name}`, whose fields ({shown}) are a session row's"

    def _cls_calls(self, name: str) -> list[tuple[cst.Call, Scope]]:
        """The ``cls(...)`` calls of the class methods of class ``name``
        (``Session.from_row`` returning ``cls(status=row.get("status"))``):
        each builds the class as a call of its name would."""
        out = []
        for method, function in self.facts.functions.items():
            if not method.startswith(f"{name}.") or not _decorated(function, "classmethod"):
                continue
            params = function.params.params
            first = params[0].name.value if params else ""
            out += [(call, scope) for call, scope in self.facts.calls.get(first, [])
                    if self._class_of_cls(first, scope) == name]
        return out

    def foreign_field(self, name: str) -> str | None:
        """Why a class of this module holds another vocabulary's status: its
        status field is typed (or defaults) with a word of another
        vocabulary (`status: Literal["idle", "running", "done"] = "idle"`),
        or None."""
        node = self.facts.classes.get(name)
        if node is None:
            return None
        for line in node.body.body:
            for statement in line.body if isinstance(line, cst.SimpleStatementLine) else ():
                if not (isinstance(statement, cst.AnnAssign) and isinstance(statement.target, cst.Name)
                        and statement.target.value in self.manifest.python.attributes):
                    continue
                words = {string_value(n) for n in nodes_in(statement.annotation, cst.SimpleString)}
                if isinstance(statement.value, cst.SimpleString):
                    words.add(string_value(statement.value))
                foreign = sorted(w for w in words if w in self.foreign_words)
                if foreign:
                    return (f"a `{name}`, whose `{statement.target.value}` is typed with `{foreign[0]}`, "
                            "another vocabulary's word")
        return None

    def status_fields(self, name: str) -> list[str]:
        """The fields of a class of this module, in order (a dataclass's or
        NamedTuple's annotated names, else ``__init__``'s parameters)."""
        node = self.facts.classes.get(name)
        if node is None:
            return []
        fields: list[str] = []
        for statement in node.body.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                        fields.append(small.target.value)
        init = self.facts.functions.get(f"{name}.__init__")
        if not fields and init is not None:
            fields = [p.name.value for p in init.params.params[1:]]
        return fields

    def constructed_status(
        self, call: cst.Call, scope: Scope | None = None
    ) -> tuple[cst.SimpleString, Origin, str] | None:
        """``SessionRow(key, "killed")``, ``cls(key, "killed")`` in one of its
        class methods (made in ``scope``): the literal status a session class
        is built with, the class's origin, and the class name."""
        callee = cst.helpers.get_full_name_for_node(call.func) or ""
        if isinstance(call.func, cst.Name) and scope is not None:
            callee = self._class_of_cls(call.func.value, scope) or callee
        last = callee.rsplit(".", 1)[-1]
        if not last[:1].isupper():
            return None
        literal: cst.BaseExpression | None = None
        fields = self.status_fields(callee)
        for index, arg in enumerate(call.args):
            if arg.star:
                return None
            if arg.keyword is not None:
                if arg.keyword.value in self.facts.attributes:
                    literal = arg.value
            elif index < len(fields) and fields[index] in self.facts.attributes:
                literal = arg.value
        if not isinstance(literal, cst.SimpleString) or string_value(literal) is None:
            return None
        origin = self.class_origin(callee) if callee in self.facts.classes else None
        if origin is None:
            origin = self._exported_session(callee)
        if origin is None or origin.kind != "session":
            return None
        return literal, origin, callee

    def _class_of_cls(self, name: str, scope: Scope) -> str | None:
        """The class ``name`` stands for where it is the first parameter of
        a ``@classmethod`` (``cls``), else None."""
        owner = scope.owner_of(name)
        function = owner.node if owner is not None else None
        if not isinstance(function, cst.FunctionDef):
            return None
        params = function.params.params
        if not params or params[0].name.value != name:
            return None
        if not any(cst.helpers.get_full_name_for_node(d.decorator) == "classmethod" for d in function.decorators):
            return None
        return self.facts.method_class.get(id(function))

    def _row_argument(self, call: cst.Call, scope: Scope) -> Origin | None:
        """The origin of a session row a call is passed, when one is."""
        for arg in call.args:
            if not arg.star and isinstance(arg.value, cst.Name):
                inner = self.origin(arg.value, scope)
                if inner.kind == "session" and inner.strength == "strong":
                    return Origin("session", "strong", inner.why)
        return None

    def _method(self, func: cst.Attribute, scope: Scope) -> str | None:
        """``Class.method`` for ``obj.method`` where ``obj`` is an instance of
        a class (see :meth:`instance_class`), the class that defines the
        method when it inherits it from a base of this module."""
        cls = self.instance_class(func.value, scope)
        return None if cls is None else self._method_owner(cls, func.attr.value)

    def instance_class(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> str | None:
        """The class, as named here (``Gateway``, ``gateway.Gateway``), that
        ``node`` is an instance of: a name bound to ``Gateway(...)`` (a local,
        a module global, ``with Gateway() as gw``), to what a function
        annotated ``-> Gateway`` or returning ``Gateway(...)`` returns, or
        annotated with the class (``gw: Gateway``, ``gw: Gateway | None``);
        ``self`` in one of its methods; ``self.gw`` where a method of the
        class assigns ``self.gw = Gateway(...)``; ``Gateway(...)`` itself."""
        if depth > 4:
            return None
        if isinstance(node, cst.Await):
            node = node.expression
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            # `db.get(Row, key) or Row(key=key)`: the class both sides build, or the one the fallback does.
            either = {self.instance_class(part, scope, depth + 1) for part in (node.left, node.right)} - {None}
            return either.pop() if len(either) == 1 else None
        if isinstance(node, cst.Call):
            return self._built_class(node, scope, depth)
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            holder = self.instance_class(node.value, scope, depth + 1)
            if holder is None or holder not in self.facts.classes:
                return None
            built = {
                self.instance_class(value, self.facts.attribute_scopes.get(id(value), scope), depth + 1)
                if value is not None else None
                for value, _ in self._assigned_attribute(holder, node.attr.value)
            }
            # One class in every assignment, or nothing is known.
            return built.pop() if len(built) == 1 else None
        if not isinstance(node, cst.Name):
            return None
        name = node.value
        bindings = scope.lookup(name)
        owner = scope.owner_of(name) or scope
        for binding in bindings:
            if binding.kind in ("assign", "walrus", "with") and binding.index is None and binding.value is not None:
                value = binding.value
                if isinstance(value, cst.Await):
                    value = value.expression
                if isinstance(value, cst.BooleanOperation):
                    found = self.instance_class(value, owner, depth + 1)
                    if found is not None:
                        return found
                if isinstance(value, cst.Call):
                    found = self._built_class(value, owner, depth + 1)
                    if found is not None:
                        return found
            typed = _class_annotation(binding.annotation)
            if typed is not None and binding.kind in ("param", "assign"):
                return typed
        function = owner.node
        if isinstance(function, cst.FunctionDef):
            cls = self.facts.method_class.get(id(function))
            params = function.params.params
            if cls is not None and params and params[0].name.value == name and not _decorated(function, "staticmethod"):
                return None if _decorated(function, "classmethod") else cls
        return None

    def _built_class(self, call: cst.Call, scope: Scope, depth: int) -> str | None:
        """The class a call builds: ``Gateway(...)``, ``gateway.Gateway(...)``,
        ``cls(...)`` in a class method, or a function of this module typed
        ``-> Gateway`` or returning ``Gateway(...)`` (``make_gateway()``)."""
        callee = cst.helpers.get_full_name_for_node(call.func) or ""
        if isinstance(call.func, cst.Name):
            cls = self._class_of_cls(call.func.value, scope)
            if cls is not None:
                return cls
            function = self.facts.functions.get(callee)
            if function is not None and scope.owner_of(callee) is self.facts.module_scope:
                typed = _class_annotation(function.returns.annotation) if function.returns is not None else None
                if typed is not None:
                    return typed
                for value, inner in self.facts.function_returns.get(callee, []):
                    if isinstance(value, cst.Call):
                        found = self._built_class(value, inner, depth + 1)
                        if found is not None:
                            return found
                return None
        if callee.rsplit(".", 1)[-1][:1].isupper():
            return callee
        return orm.fetched_model(call) or self._constructor_class(call) or self._factory_class(
            call.func, scope, depth) or self._looked_up_class(call)

    def _looked_up_class(self, call: cst.Call) -> str | None:
        """The class a typed lookup returns an instance of (the manifest's
        ``typed-lookups``): ``self.query_one(SessionTable)`` or
        ``query_one("#bar", Label)``, the class its last positional argument
        names, one of this module or imported (a class-like name)."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in self.manifest.python.typed_lookups):
            return None
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        if not positional or any(a.star for a in call.args):
            return None
        named = cst.helpers.get_full_name_for_node(positional[-1]) if isinstance(
            positional[-1], (cst.Name, cst.Attribute)) else None
        if not named or not named.rsplit(".", 1)[-1][:1].isupper():
            return None
        head = named.split(".", 1)[0]
        if named in self.facts.classes or head in self.facts.imported_names or head in self.facts.module_aliases:
            return named
        return None

    def _factory_class(self, node: cst.BaseExpression, scope: Scope, depth: int) -> str | None:
        """The class a factory builds when called: a parameter defaulting to
        a class or typed as making one (``gateway: Callable[[], Gateway] =
        Gateway``, ``type[Gateway]``), a name bound to a class, or an
        attribute of ``self`` one method assigns such a value
        (``self.gateway = gateway``, then ``self.gateway()``)."""
        if depth > 4:
            return None
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            holder = self.instance_class(node.value, scope, depth + 1)
            if holder is None or holder not in self.facts.classes:
                return None
            built = {
                self._factory_class(value, self.facts.attribute_scopes.get(id(value), scope), depth + 1)
                if value is not None else None
                for value, _ in self._assigned_attribute(holder, node.attr.value)
            }
            return built.pop() if len(built) == 1 else None
        if not isinstance(node, cst.Name):
            return None
        found: set[str | None] = set()
        for binding in scope.lookup(node.value):
            if binding.kind == "param":
                made = _made_by(binding.annotation)
                default = binding.value
                if made is None and isinstance(default, (cst.Name, cst.Attribute)):
                    made = _class_name(default)
                found.add(made)
            elif binding.kind == "assign" and isinstance(binding.value, (cst.Name, cst.Attribute)):
                found.add(_class_name(binding.value))
            else:
                found.add(None)
        return found.pop() if len(found) == 1 else None

    def _constructor_class(self, call: cst.Call) -> str | None:
        """The class ``Session.from_row(r)`` builds: a class method or static
        method of a class of this module that returns ``cls(...)`` or
        ``Session(...)``; of another module's class, one named as a
        constructor is (``from_*``, ``parse``, ``create``, ``model_validate``...)."""
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        cls = cst.helpers.get_full_name_for_node(func.value) or ""
        if not cls.rsplit(".", 1)[-1][:1].isupper():
            return None
        if cls not in self.facts.classes:
            return cls if func.attr.value.startswith(_CONSTRUCTORS) else None
        method = self._method_owner(cls, func.attr.value)
        function = self.facts.functions.get(method)
        if function is None or not (_decorated(function, "classmethod") or _decorated(function, "staticmethod")):
            return None
        own = {method.rsplit(".", 1)[0], cls}
        first = function.params.params[0].name.value if function.params.params else ""
        if _decorated(function, "classmethod"):
            own.add(first)
        for value, _ in self.facts.function_returns.get(method, []):
            if isinstance(value, cst.Call) and (cst.helpers.get_full_name_for_node(value.func) or "") in own:
                return cls
        return None

    def _constructor_origin(self, call: cst.Call, scope: Scope) -> Origin | None:
        """``Session.from_row(r)`` (see :meth:`_constructor_class`) is an
        instance of ``Session`` built from its arguments: of a session row
        (or status) a session object, of another vocabulary's record a
        foreign one. A class known to hold another vocabulary stays foreign;
        None when the arguments tell nothing."""
        cls = self._constructor_class(call)
        if cls is None:
            return None
        last = cls.rsplit(".", 1)[-1]
        known = self.class_origin(cls) if cls in self.facts.classes else self._exported(cls)
        if known is not None and known.kind == "foreign":
            return known
        shown = cst.helpers.get_full_name_for_node(call.func) or last
        built = self.built_from(call, scope)
        if built is None:
            for arg in call.args:
                if arg.star:
                    continue
                inner = self.origin(arg.value, scope)
                if inner.kind in ("session", "foreign") and inner.strength == "strong":
                    built = inner
                    break
        if built is not None:
            return Origin(built.kind, built.strength, f"a `{last}` built by `{shown}()` from {built.why}")
        return None  # what the class is in general is asked next

    def _method_owner(self, cls: str, method: str) -> str:
        """``cls.method``, or ``Base.method`` for the first base (of this
        module, or imported) that defines it where ``cls`` does not."""
        seen: set[str] = set()
        queue = [cls]
        while queue:
            current = queue.pop(0)
            if f"{current}.{method}" in self.facts.functions:
                return f"{current}.{method}"
            node = self.facts.classes.get(current)
            if node is None or current in seen:
                if current != cls and node is None:
                    return f"{current}.{method}"  # an imported base: its module tells
                continue
            seen.add(current)
            queue += [b for b in (cst.helpers.get_full_name_for_node(a.value) for a in node.bases) if b]
        return f"{cls}.{method}"

    def _assigned_attribute(self, cls: str, attr: str) -> list[tuple[cst.BaseExpression | None, str]]:
        """What the methods of ``cls`` (or of its bases in this module) assign to ``self.attr``."""
        seen: set[str] = set()
        current: str | None = cls
        while current is not None and current not in seen:
            seen.add(current)
            if (current, attr) in self.facts.self_attributes:
                return self.facts.self_attributes[(current, attr)]
            node = self.facts.classes.get(current)
            bases = [b.value.value for b in node.bases if isinstance(b.value, cst.Name)] if node else []
            current = next((b for b in bases if b in self.facts.classes), None)
        return []

    def built_from(self, call: cst.Call, scope: Scope) -> Origin | None:
        """The origin of the status a call is passed (``SessionRow(r["key"],
        r["status"])``), when it is passed one read from a known source."""
        for arg in call.args:
            if arg.star:
                continue
            found = self._passed_status(arg.value, scope)
            if found is not None:
                return found
        return None

    def _passed_status(self, value: cst.BaseExpression, scope: Scope) -> Origin | None:
        """The origin of a status ``value`` reads from a known source."""
        subject = self.subject(value, scope)
        if subject is None or not subject.is_status or subject.root is None:
            return None
        inner = self.origin(subject.root, subject.scope)
        if inner.kind != "unknown" and inner.strength == "strong":
            return Origin(inner.kind, "strong", f"{subject.description}, where {inner.why}")
        return None

    def orm_writes(self) -> dict[str, Origin]:
        """Django models of this module's manager writes that store a status
        read from a known source (``Mirror.objects.update_or_create(...,
        defaults={"status": row["status"]})``), by model name: the first."""
        if self._orm_writes is None:
            self._orm_writes = {}
            fields = self.facts.keys | self.facts.attributes
            for call, scope in self.facts.all_calls:
                func = call.func
                if not (isinstance(func, cst.Attribute) and func.attr.value in orm.WRITES):
                    continue
                model = orm.model_of(func.value, scope)
                if model is None or model in self._orm_writes:
                    continue
                for value in orm.written_fields(call, fields):
                    found = self._passed_status(value, scope)
                    if found is not None:
                        line = self.facts.pos(call).start.line
                        self._orm_writes[model] = Origin(found.kind, "strong", f"a `{model}` row written at line "
                                                         f"{line} with {found.why}")
                        break
            for model, found in self._instance_writes().items():
                self._orm_writes.setdefault(model, found)
        return self._orm_writes

    def _instance_writes(self) -> dict[str, Origin]:
        """Classes whose status this module writes from a known source, by
        class name: an attribute set on an instance (``row.status =
        entry.get("status")``, ``row = db.get(SessionRow, key) or
        SessionRow(key=key)``) or a SQLAlchemy statement's ``.values(status=...)``
        (``update(SessionRow)``, ``insert(SessionRow)``). The first write found."""
        out: dict[str, Origin] = {}
        for target, value, scope in self.facts.attribute_writes:
            if target.attr.value not in self.facts.attributes:
                continue
            cls = self.instance_class(target.value, scope)
            if cls is None or cls in out:
                continue
            found = self._passed_status(value, scope)
            if found is not None:
                line = self.facts.pos(target).start.line
                out[cls] = Origin(found.kind, "strong", f"a `{cls}` whose `{target.attr.value}` is set at line "
                                  f"{line} from {found.why}")
        fields = self.facts.keys | self.facts.attributes
        for call, scope in self.facts.all_calls:
            model = orm.statement_model(call)
            if model is None or model in out:
                continue
            for arg in call.args:
                if arg.keyword is None or arg.keyword.value not in fields:
                    continue
                found = self._passed_status(arg.value, scope)
                if found is not None:
                    line = self.facts.pos(call).start.line
                    out[model] = Origin(found.kind, "strong", f"a `{model}` row written at line {line} with {found.why}")
                    break
        return out

    def _name_origin(self, name: str, scope: Scope, depth: int, use: cst.Name | None = None) -> Origin:
        bindings = scope.lookup(name)
        owner = scope.owner_of(name) or scope
        if any(b.marked for b in bindings):
            return Origin("session", "strong", f"`{name}` is marked `# migrator: {MARK_STATUS}`")
        for binding in bindings:
            if binding.kind == "event" and binding.value is not None:
                event = string_value(binding.value)
                return Origin("session", "strong", f"`{name}` is the payload of a `{event}` handler")
        event = self.facts.event_names.get(id(owner), {}).get(name)
        if event is not None:
            return Origin("session", "strong", f"`{name}` is a `{event}` event frame")
        handled = self._handler_payload(name, owner, bindings)
        if handled is not None:
            return handled
        # How the value was built speaks before what it is called. A loop
        # variable used after its loop starts is that loop's (two loops may
        # bind one name to rows of different tables).
        nearest = None
        if use is not None and len(bindings) > 1 and any(b.kind == "for" for b in bindings):
            # Where each binding's value is written (binding lines are kept
            # only for files with markers; positions are resolved only here).
            line = self.facts.pos(use).start.line
            before = [(self.facts.pos(b.value).start.line, i, b) for i, b in enumerate(bindings)
                      if b.value is not None and self.facts.pos(b.value).start.line <= line]
            nearest = max(before, key=lambda t: t[:2])[2] if before else None
        for binding in [nearest] if nearest is not None and nearest.kind == "for" else bindings:
            if binding.value is None or binding.kind in ("event", "key"):
                continue  # a key of a table is no row of it
            yielded = False
            if binding.index is not None and binding.kind == "for":
                # An item of what a generator of this module yields; of any
                # other call, the items of its elements are unknown.
                func = binding.value.func if isinstance(binding.value, cst.Call) else None
                yielded = isinstance(func, cst.Name) and self._yields_items(func.value)
                inner = self._item_origin(binding.value, binding.index, owner, depth + 1) if yielded else _UNKNOWN
            elif binding.index is not None:
                inner = self._item_origin(binding.value, binding.index, owner, depth + 1)
            else:
                inner = self.origin(binding.value, owner, depth + 1)
            if inner.kind != "unknown":
                if binding.kind == "for" and not yielded:
                    if inner.kind == "session":
                        return Origin("session", inner.strength, f"`{name}` iterates {inner.why}")
                    return inner
                return Origin(inner.kind, inner.strength, f"`{name}`, {inner.why}")
        function = owner.node
        if any(b.kind == "param" for b in bindings) and isinstance(function, cst.FunctionDef):
            typed = self._annotation_origin(name, bindings)
            if typed is not None:
                return typed
            cls = self.facts.method_class.get(id(function))
            params = function.params.params
            if cls is not None and params and params[0].name.value == name:
                built = self.class_origin(cls)
                if built is not None:
                    return Origin(built.kind, built.strength, f"`{name}` is {built.why}")
            passed = self._param_origin(name, function, depth)
            if passed is not None:
                return passed
            built = self._constructed_from(name, function)
            if built is not None:
                return built
            from codemods.state_types import state_origin  # a state passed from step to step by a framework

            stated = state_origin(self, name, bindings, depth)
            if stated is not None:
                return stated
        appended = self._appended_origin(name, owner, bindings, depth)
        if appended is not None:
            return appended
        held = self._held_class_origin(name, bindings)
        if held is not None:
            return held
        mapped = self._class_name_origin(name, scope)
        if mapped is not None:
            return mapped
        foreign = None if any(_runs_command(b.value) for b in bindings) else self._foreign_token(name)
        if foreign:
            return Origin("foreign", "strong", f"`{name}` names `{foreign}`")
        if "session" in words_of(name) or name.lower().startswith("sess"):
            return Origin("session", "weak", f"`{name}` names a session")
        return _UNKNOWN

    def _appended_origin(self, name: str, owner: Scope, bindings: Sequence[Binding], depth: int) -> Origin | None:
        """``rows = []`` then ``rows.append({... "status": entry["status"]})``:
        the list holds what is appended to it, when all of it is of one kind."""
        if not any(b.kind == "assign" and isinstance(b.value, cst.List) and not b.value.elements for b in bindings):
            return None
        found: list[Origin] = []
        for call, call_scope in self.facts.all_calls:
            func = call.func
            if (isinstance(func, cst.Attribute) and func.attr.value == "append" and isinstance(func.value, cst.Name)
                    and func.value.value == name and len(call.args) == 1 and call_scope.owner_of(name) is owner):
                found.append(self.origin(call.args[0].value, call_scope, depth + 1))
        kinds = {o.kind for o in found}
        if len(kinds) != 1 or "unknown" in kinds:
            return None
        return Origin(found[0].kind, found[0].strength, f"`{name}` holds {found[0].why}")

    def _handler_payload(self, name: str, owner: Scope, bindings: Sequence[Binding]) -> Origin | None:
        """The payload parameter (the first but ``self``) of a function a call
        of this module registers for a session event."""
        function = owner.node
        if not isinstance(function, cst.FunctionDef) or not any(b.kind == "param" for b in bindings):
            return None
        cls = self.facts.method_class.get(id(function))
        key = f"{cls}.{function.name.value}" if cls else function.name.value
        found = self.facts.handlers.get(key)
        params = function.params.params[1:] if cls and not _decorated(function, "staticmethod") else function.params.params
        if found is None or not params or params[0].name.value != name:
            return None
        event, call = found
        line = self.facts.pos(call).start.line
        return Origin("session", "strong", f"`{name}` is the payload of a `{event}` handler (registered at line {line})")

    def _queued_origin(self, node: cst.Call, scope: Scope, depth: int) -> Origin | None:
        """``queue.get()`` / ``self.queue.get_nowait()`` (no arguments): what
        this module puts in the same queue (``queue.put(row)``), when all of
        it comes from one kind of source."""
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in _QUEUE_GETS and not node.args):
            return None
        holder = self._queue_key(func.value, scope)
        if holder is None:
            return None
        found: list[Origin] = []
        for call, call_scope in self.facts.all_calls:
            put = call.func
            if (isinstance(put, cst.Attribute) and put.attr.value in _QUEUE_PUTS and call.args
                    and not call.args[0].star and self._queue_key(put.value, call_scope) == holder):
                found.append(self.origin(call.args[0].value, call_scope, depth + 1))
        kinds = {o.kind for o in found}
        if not found or kinds != {"session"}:
            return None if not found or "unknown" in kinds else (
                next(o for o in found if o.kind == "foreign") if kinds == {"foreign"} else None)
        strength = "strong" if all(o.strength == "strong" for o in found) else "weak"
        return Origin("session", strength, f"what is put in `{self.code(func.value)}`, {found[0].why}")

    def _queue_key(self, node: cst.BaseExpression, scope: Scope) -> tuple[int, str] | None:
        """The same queue wherever it is named: a name by the scope that
        binds it, ``self.queue`` by the class of ``self``."""
        if isinstance(node, cst.Name):
            owner = scope.owner_of(node.value)
            return None if owner is None else (id(owner), node.value)
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            cls = self.instance_class(node.value, scope)
            return None if cls is None or cls not in self.facts.classes else (id(self.facts.classes[cls]), node.attr.value)
        return None

    def _class_name_origin(self, name: str, scope: Scope) -> Origin | None:
        """A class itself (``SessionRow`` in ``SessionRow.status == "killed"``,
        a mapped class's column in a SQLAlchemy query): what its instances
        carry, where that is known. The module's own class or one imported
        from the project, not a local name."""
        if not name[:1].isupper() or scope.owner_of(name) not in (None, self.facts.module_scope):
            return None
        if name in self.facts.classes:
            return self.class_origin(name)
        if name in self.facts.imported_names:
            return self._exported(name)
        return None

    def mapped_class(self, name: str) -> bool:
        """Whether the class ``name`` (of this module, or imported from the
        project) is ORM-mapped (see :func:`codemods.orm.is_mapped`)."""
        node = self.facts.classes.get(name)
        if node is not None:
            return orm.is_mapped(node, self.facts.classes)
        full = self.absolute(name)
        if full is None:
            return False
        marker = f"{full}{MAPPED_EXPORT}"
        return any(k == marker or k.endswith("." + marker) or marker.endswith("." + k) for k in self.tree.exports)

    def _held_class_origin(self, name: str, bindings: Sequence[Binding]) -> Origin | None:
        """A variable annotated as a container of a class of the project
        (``SESSIONS: dict[str, Session] = {}``, ``rows: list[Session]``): its
        items, and what is looked up in it, are instances of that class."""
        for binding in bindings:
            annotation = binding.annotation
            if binding.kind not in ("assign", "param") or not isinstance(annotation, cst.Subscript):
                continue
            for element in annotation.slice:
                if not isinstance(element.slice, cst.Index):
                    continue
                typed = cst.helpers.get_full_name_for_node(element.slice.value) or ""
                if not typed[:1].isupper() or typed.rsplit(".", 1)[-1] in ("Any", "Optional"):
                    continue
                built = self.class_origin(typed) if typed in self.facts.classes else self._exported(typed)
                if built is not None and built.kind != "unknown":
                    return Origin(built.kind, built.strength, f"`{name}` holds {built.why}")
        return None

    def _annotation_origin(self, name: str, bindings: Sequence[Binding]) -> Origin | None:
        for binding in bindings:
            annotation = binding.annotation
            if annotation is None:
                continue
            typed = cst.helpers.get_full_name_for_node(annotation) or ""
            built = self.class_origin(typed) if typed in self.facts.classes else None
            if built is None and typed:
                built = self._exported_session(typed)
            if built is not None:
                return Origin(built.kind, built.strength, f"`{name}` is {built.why}")
        return None

    def _param_origin(self, param: str, function: cst.FunctionDef, depth: int) -> Origin | None:
        """What every call site in the project passes for ``param``: the
        module's own calls, and (for a module-level function) those other
        modules make. A session row at every call site makes it one; a
        foreign value everywhere makes it foreign; both is a mixed origin,
        left for review. None when there are no such calls to learn from."""
        positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
        name = function.name.value
        cls = self.facts.method_class.get(id(function))
        # A method's callers do not pass its `self` (or `cls`).
        own = positional if cls is None or _decorated(function, "staticmethod") else positional[1:]
        # Read through one call (what `dict_rows(data.get("sessions"))`
        # returns, or `self.payload(await self.invoke("sessions_list"))`):
        # that call's argument speaks, not every call's.
        for through, call, scope in reversed(self._calls):
            if through is function:
                argument = _argument(call, own, param)
                inner = _UNKNOWN if argument is None else self.origin(argument, scope, depth + 2)
                if argument is not None and inner.kind != "unknown":
                    line = self.facts.pos(call).start.line
                    return Origin(inner.kind, inner.strength,
                                  f"`{param}` of `{name}()` as line {line} passes it, `{self.code(argument)}`, "
                                  f"{inner.why}")
                break
        passed: list[tuple[Origin, str]] = []
        calls = self.facts.calls_of(name) if cls is None else self._method_calls(f"{cls}.{name}")
        for call, scope in calls:
            argument = _argument(call, own, param)
            if argument is None:
                continue
            where = f"line {self.facts.pos(call).start.line}"
            passed.append((self.origin(argument, scope, depth + 2), f"at {where}, `{self.code(argument)}`"))
        qualified = f"{cls}.{name}" if cls is not None else name
        if self.facts.functions.get(qualified) is function:
            index = str(own.index(param)) if param in own else None
            for key, kind, strength, where, why in self.tree.passed.get(qualified, ()):
                if key == param or key == index:
                    passed.append((Origin(kind, strength, why), where))
        if not passed:
            return None
        session = [(o, w) for o, w in passed if o.kind == "session"]
        foreign = [(o, w) for o, w in passed if o.kind == "foreign"]
        mixed = [o for o, _ in passed if o.kind == "mixed"]
        if mixed:
            return mixed[0]
        if session and foreign:
            (s_origin, s_where), (f_origin, f_where) = session[0], foreign[0]
            return Origin(
                "mixed", "weak",
                f"`{param}` of `{name}()` is passed a session value {s_where} ({s_origin.why}) "
                f"and another {f_where} ({f_origin.why})",
            )
        if foreign:
            f_origin, f_where = foreign[0]
            return Origin("foreign", "strong", f"`{param}` is passed a value from elsewhere {f_where}: {f_origin.why}")
        if len(session) == len(passed):
            strength = "strong" if all(o.strength == "strong" for o, _ in session) else "weak"
            s_origin, s_where = session[0]
            return Origin("session", strength, f"`{param}` of `{name}()` is passed, {s_where}, {s_origin.why}")
        return None

    def _method_calls(self, method: str) -> list[tuple[cst.Call, Scope]]:
        """Calls of ``Class.method`` made through an instance (``self.loose_ends(raw)``,
        ``shift.round()`` where ``shift = Shift()``)."""
        if self._calls_by_attribute is None:
            self._calls_by_attribute = {}
            for call, scope in self.facts.all_calls:
                if isinstance(call.func, cst.Attribute):
                    self._calls_by_attribute.setdefault(call.func.attr.value, []).append((call, scope))
        name = method.rsplit(".", 1)[-1]
        return [
            (call, scope) for call, scope in self._calls_by_attribute.get(name, ())
            if isinstance(call.func, cst.Attribute)
            and (self._method(call.func, scope) == method or self._class_call(call.func, scope) == method)
        ]

    def _class_call(self, func: cst.Attribute, scope: Scope) -> str | None:
        """``Class.method`` for ``Session.from_row`` called on a class of this
        module (a class method's call: its ``cls`` is no argument)."""
        if not isinstance(func.value, cst.Name) or func.value.value not in self.facts.classes:
            return None
        if scope.owner_of(func.value.value) is not self.facts.module_scope:
            return None
        return self._method_owner(func.value.value, func.attr.value)

    def _constructed_from(self, param: str, function: cst.FunctionDef) -> Origin | None:
        """A parameter of a class (or static) method that builds its class
        (``Session.from_row(cls, row)`` returning ``cls(...)``), where other
        modules of the project build that class from session rows: the row
        it is built from."""
        cls = self.facts.method_class.get(id(function))
        if cls is None:
            return None
        method = f"{cls}.{function.name.value}"
        if self._constructor_class(cst.Call(cst.Attribute(cst.Name(cls), cst.Name(function.name.value)))) != cls:
            return None
        known = self._exported_session(cls)
        if known is None or known.strength != "strong":
            return None
        return Origin("session", "strong", f"`{param}` of `{method}()`, the row {known.why}")

    def mixed_for(self, scope: Scope) -> list[str]:
        """Other vocabularies handled where ``scope`` runs: its own function,
        the ones around it and module-level code. One ``sessions_send``
        helper does not cast doubt on the rest of a module."""
        ids: set[int] = set()
        current: Scope | None = scope
        while current is not None:
            ids.add(id(current))
            current = current.parent
        return [token for token, where in self.facts.mixed if id(where) in ids]

    # -- the verdict -----------------------------------------------------
    def verdict(self, subject: Subject, compared: Sequence[str], verb: str = "compared with") -> Verdict:
        """How sure we are that ``subject`` holds a session status."""
        if subject.apart:
            return Verdict(None, subject.apart)
        words = self.words_with(subject) | set(compared)
        foreign = sorted(words & self.foreign_words)
        if subject.is_status and subject.root is not None:
            origin = self.origin(subject.root, subject.scope)
            if origin.kind == "foreign":
                return Verdict(None, f"{subject.description}: {origin.why}")
            if origin.kind == "mixed":
                # Session rows at some call sites, other records at others:
                # a person decides (never rewritten at the default threshold).
                return Verdict("possible", f"{verb} {subject.description}, but {origin.why}")
            if origin.kind == "session" and origin.strength == "strong":
                # Words of another vocabulary beside the session words are
                # defensive extras: the session words change, they stay.
                extra = f"; {', '.join(map(repr, foreign))} kept as written" if foreign else ""
                return Verdict("certain", f"{verb} {subject.description}, where {origin.why}{extra}")
        else:
            origin = self._parameter_origin(subject)
            if origin.kind == "unknown":
                origin = self._foreign_binding(subject)
            if origin.kind == "foreign":
                return Verdict(None, f"{subject.description}: {origin.why}")
            if origin.kind == "session" and origin.strength == "strong":
                extra = f"; {', '.join(map(repr, foreign))} kept as written" if foreign else ""
                return Verdict("certain", f"{verb} {subject.description}, where {origin.why}{extra}")
            if origin.kind == "mixed":
                return Verdict("possible", f"{verb} {subject.description}, but {origin.why}")
            origin = _UNKNOWN
        if subject.marked:
            return Verdict("certain", f"{subject.description} is marked `# migrator: {MARK_STATUS}`")
        if foreign:
            return Verdict(None, f"{subject.description} is also compared with {', '.join(map(repr, foreign))}")
        together = sorted(w for w in words & set(self.vocab.unchanged))
        evidence = (
            f"module talks to OpenClaw ({self.module_evidence[0]})" if self.module_evidence else ""
        )
        mixed = self.mixed_for(subject.scope)
        if subject.is_status and subject.root is not None:
            # A row of unknown origin (a parameter, a name that merely says
            # "session") is a session row only in a module that talks to
            # OpenClaw and handles no other vocabulary with the same words.
            reason = "; ".join(r for r in (origin.why, evidence) if r)
            if evidence and not mixed:
                return Verdict("likely", f"{verb} {subject.description}; {reason}")
            shaped = shape_key(self, subject) if not mixed else None
            if shaped is not None:
                # Read with a key only session rows have: a session row by its shape.
                return Verdict("likely", f"{verb} {subject.description}, of an object also read as "
                               f"`{shaped}`, which only a session row has")
            if evidence:
                return Verdict(
                    "possible",
                    f"{verb} {subject.description} of unknown origin; the same code also handles `{mixed[0]}` results",
                )
            return Verdict("possible", f"{verb} {subject.description}, but nothing ties it to OpenClaw")
        # A plain name: only its name and the words used with it speak for it.
        name_words = words_of(subject.description.strip("`").split("`")[0])
        status_like = bool({"status", "state"} & set(name_words))
        if not status_like:
            return Verdict(None, f"{subject.description} does not read a status")
        if evidence and not mixed and (together or len(words & self.vocab.all_values) >= 2):
            shown = ", ".join(repr(w) for w in sorted(words & self.vocab.all_values))
            return Verdict("likely", f"{subject.description} is compared with the session vocabulary ({shown}); {evidence}")
        if evidence:
            return Verdict("possible", f"{subject.description} is a status of unknown origin; {evidence}")
        return Verdict("possible", f"{subject.description} is a status of unknown origin")

    def _foreign_binding(self, subject: Subject) -> Origin:
        """A plain name bound only from what a foreign record answers
        (``status = job.get_status()`` where ``job`` iterates the worker's
        own jobs): another vocabulary's. Unknown otherwise: how a session
        status reaches a plain name is the parameter's question, not this."""
        name = subject.key.split(":", 1)[-1]
        bindings = subject.scope.bindings.get(name, [])
        if not bindings or not all(b.kind == "assign" and b.index is None and isinstance(b.value, cst.Call)
                                   for b in bindings):
            return _UNKNOWN
        found = [self.origin(b.value, subject.scope) for b in bindings if b.value is not None]
        if found and all(o.kind == "foreign" and o.strength == "strong" for o in found):
            value = bindings[0].value
            shown = self.code(value) if value is not None else name
            return Origin("foreign", "strong", f"`{name}` is bound from `{shown}`: {found[0].why}")
        return _UNKNOWN

    def _parameter_origin(self, subject: Subject) -> Origin:
        """Where a plain name that is a parameter of a function comes from,
        as its callers pass it (``should_retry(key, status)`` given a row's
        status at every call site): unknown for any other name."""
        name = subject.key.split(":", 1)[-1]
        bindings = subject.scope.bindings.get(name, [])
        if not bindings or not all(b.kind == "param" for b in bindings):
            return _UNKNOWN
        # A row's origin is that of every field read from it: only a name
        # that says it holds a status takes it (`kind` given `row["kind"]` does not).
        if not {"status", "state"} & set(words_of(name)):
            return _UNKNOWN
        return self.origin(cst.Name(name), subject.scope)

    # -- query rows read by position -------------------------------------
    def column_subject(self, node: cst.BaseExpression, scope: Scope) -> Subject | None:
        """A column of a query row read by position: a name unpacked from
        the rows (``for key, status, raw in con.execute("SELECT session_key,
        status, entry_json FROM session_nodes")``, also through ``rows =
        ....fetchall()``, ``key, status = cur.fetchone()``) or an index of a
        row (``row[1]``), mapped to the query's ``SELECT`` list. The status
        column of a session table is a status read of those rows; a status
        column of another table holds none. None when the query is not known."""
        if id(node) in self.bound:
            return self.bound[id(node)]
        found: tuple[str, int, cst.BaseExpression, Scope] | None = None
        if isinstance(node, cst.Name):
            owner = scope.owner_of(node.value) or scope
            bindings = scope.lookup(node.value)
            if not any(b.column is not None or b.kind == "unpack" for b in bindings):
                bindings = []  # no row is unpacked into it: positions are not needed
            elif len(bindings) > 1:
                # Two loops may bind one name to columns of two queries: the
                # one before this use holds it.
                line = self.facts.pos(node).start.line
                before = [(self.facts.pos(b.value).start.line, i, b) for i, b in enumerate(bindings)
                          if b.value is not None and self.facts.pos(b.value).start.line <= line]
                bindings = [max(before, key=lambda t: t[:2])[2]] if before else []
            for binding in bindings:
                if binding.value is None:
                    continue
                if binding.kind == "for" and binding.column is not None:
                    sql = self.rows_query(binding.value, owner)
                    column = binding.column
                elif binding.kind == "unpack" and binding.index is not None:
                    sql, column = self.row_query(binding.value, owner), binding.index
                else:
                    continue
                if sql is not None:
                    found = (sql, column, binding.value, owner)
                    break
        elif (isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index)
              and isinstance(node.slice[0].slice.value, cst.Integer)):
            sql = self.row_query(node.value, scope)
            if sql is not None:
                found = (sql, int(node.slice[0].slice.value.value, 0), node.value, scope)
        if found is None:
            return None
        sql, column, root, owner = found
        selected = select_list(sql)
        if selected is None or column >= len(selected[1]):
            return None
        table, columns = selected
        name = columns[column]
        if name not in self.facts.keys:
            return None  # another column: what it holds is asked as of any name
        shown = self.code(node)
        described = f"`{shown}` (column `{name}` of a query of `{table}`)"
        if f"{table}.{name}" not in self.status_columns():
            return Subject(f"{id(owner)}:{shown}", False, None, owner, described,
                           apart=f"{described} is no column of a session table")
        origin = self.origin(root, owner)
        if origin.kind != "session" or origin.strength != "strong":
            # The text names the table only once its constants are read
            # (f"... FROM {TABLE}"): the query as read is the source.
            root = cst.SimpleString(repr(sql))
        return Subject(f"{id(owner)}:{shown}", True, root, owner, described)

    def status_columns(self) -> frozenset[str]:
        """The session tables' status columns, as the manifest's stores name
        them, and those of the project's mapped classes that hold session
        statuses (``__tablename__ = "oc_session"`` of a class whose status
        is set from session rows: see :meth:`mapped_tables`)."""
        own = frozenset(c for store in self.manifest.stores for c in store.columns)
        mapped = self.mapped_tables()
        return own | {f"{t}.{k}" for t in mapped for k in self.facts.keys} if mapped else own

    def mapped_tables(self) -> dict[str, str]:
        """Table name -> why, for the tables of mapped classes (SQLAlchemy's
        or Django's ``__tablename__`` / ``db_table`` string) whose status
        holds session statuses: this module's classes, and those the project
        exports (``module.Class#table:name``)."""
        if self._tables is None:
            self._tables = {}
            for key, why in self.tree.exports.items():
                head, marker, table = key.partition(TABLE_EXPORT)
                if marker and table and head:
                    self._tables.setdefault(table, why)
            for name, node in self.facts.classes.items():
                mapped = orm.table_name(node)
                if mapped is None or mapped in self._tables:
                    continue
                table = mapped
                self._tables[table] = ""  # a cycle (the class asks its table) knows no table yet
                found = self.class_origin(name)
                if found is not None and found.kind == "session" and found.strength == "strong":
                    self._tables[table] = f"the table of {found.why}"
                else:
                    del self._tables[table]
        return {t: why for t, why in self._tables.items() if why}

    def rows_query(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> str | None:
        """The SQL text whose result rows ``node`` is: ``con.execute(sql)``,
        its ``.fetchall()``, or a name bound once to one."""
        if depth > 6:
            return None
        if isinstance(node, cst.Await):
            node = node.expression
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if node.func.attr.value in ("fetchall", "fetchmany"):
                return self.rows_query(node.func.value, scope, depth + 1)
            if node.func.attr.value == "execute" and node.args:
                return self._sql_text(node.args[0].value, scope, depth + 1)
        if isinstance(node, cst.Name):
            bindings = scope.lookup(node.value)
            owner = scope.owner_of(node.value) or scope
            if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].index is None:
                value = bindings[0].value
                if (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                        and value.func.attr.value == "cursor"):
                    return self._cursor_query(node.value, owner, depth)
                return None if value is None else self.rows_query(value, owner, depth + 1)
        return None

    def _cursor_query(self, name: str, owner: Scope, depth: int) -> str | None:
        """``cur = con.cursor()``, then ``cur.execute(sql)`` once in the same
        scope: the cursor's rows are that query's."""
        executed = [
            call for call, scope in self.facts.all_calls
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "execute" and call.args
            and isinstance(call.func.value, cst.Name) and call.func.value.value == name
            and (scope.owner_of(name) or scope) is owner
        ]
        if len(executed) != 1:
            return None  # several queries: which rows are read is not known here
        return self._sql_text(executed[0].args[0].value, owner, depth + 1)

    def row_query(self, node: cst.BaseExpression, scope: Scope) -> str | None:
        """The SQL text one of whose rows ``node`` is: a loop variable over
        its rows, ``cur.fetchone()``, ``next(rows)``, or a name bound to one."""
        if isinstance(node, cst.Call):
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "fetchone":
                return self.rows_query(node.func.value, scope)
            if isinstance(node.func, cst.Name) and node.func.value == "next" and node.args:
                return self.rows_query(node.args[0].value, scope)
            return None
        if not isinstance(node, cst.Name):
            return None
        owner = scope.owner_of(node.value) or scope
        for binding in scope.lookup(node.value):
            if binding.value is None or binding.index is not None or binding.column is not None:
                continue
            if binding.kind == "for":
                return self.rows_query(binding.value, owner)
            if binding.kind in ("assign", "walrus") and isinstance(binding.value, cst.Call):
                return self.row_query(binding.value, owner)
        return None

    def sql_text(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> str | None:
        """The text of a query: a string, a name bound once to one, an
        f-string with its string constants read (any other placeholder is
        ``{}``)."""
        return self._sql_text(node, scope, depth)

    def _sql_text(self, node: cst.BaseExpression, scope: Scope, depth: int) -> str | None:
        if isinstance(node, cst.SimpleString):
            return string_value(node)
        if orm.text_clause(node) is not None:  # SQLAlchemy's text("SELECT ... WHERE status = :st")
            return self._sql_text(orm.text_clause(node), scope, depth + 1)  # type: ignore[arg-type]
        if isinstance(node, cst.FormattedString):
            # f"SELECT ... FROM {TABLE} WHERE status IN ({marks})": a constant
            # string is the text it holds; any other placeholder names no column.
            parts = []
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    parts.append(part.value)
                elif isinstance(part, cst.FormattedStringExpression):
                    held = self._sql_text(part.expression, scope, depth + 1) if depth < 6 else None
                    parts.append(held if held is not None else "{}")
            return "".join(parts)
        if isinstance(node, cst.ConcatenatedString):
            left, right = self._sql_text(node.left, scope, depth + 1), self._sql_text(node.right, scope, depth + 1)
            return None if left is None or right is None else left + right
        if isinstance(node, cst.Name) and depth < 6:
            bindings = scope.lookup(node.value)
            if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].value is not None:
                return self._sql_text(bindings[0].value, scope.owner_of(node.value) or scope, depth + 1)
        return None

    # -- copies with an update -------------------------------------------
    def copier(self, func: cst.BaseExpression) -> str | None:
        """The dotted name of a record-copying function a call calls
        (``dc_replace`` of ``from dataclasses import replace as dc_replace``
        is ``dataclasses.replace``), or None."""
        name = cst.helpers.get_full_name_for_node(func) or ""
        head, dot, rest = name.partition(".")
        if head in self.facts.imported_names:
            module, level, original = self.facts.imported_names[head]
            full = f"{module}.{original}{dot}{rest}" if not level else ""
        elif head in self.facts.module_aliases:
            full = f"{self.facts.module_aliases[head]}{dot}{rest}"
        else:
            full = ""
        return full if full in COPIERS else None

    def _copy_of(self, call: cst.Call) -> tuple[cst.BaseExpression, list[cst.BaseExpression], str] | None:
        """What a call copies, the status values it gives the copy, and how
        it copies; None when it copies no record with a status."""
        func = call.func
        copier = self.copier(func)
        if copier is not None and call.args and not call.args[0].keyword and not call.args[0].star:
            values = [a.value for a in call.args[1:] if a.keyword is not None and a.keyword.value in self.facts.attributes]
            return (call.args[0].value, values, f"`{copier}()`") if values else None
        if not (isinstance(func, cst.Attribute) and func.attr.value in _COPY_METHODS):
            return None
        values = []
        for arg in call.args:
            if arg.keyword is None:
                continue
            if arg.keyword.value == "update" and isinstance(arg.value, cst.Dict):
                values += [e.value for e in arg.value.elements
                           if isinstance(e, cst.DictElement) and string_value(e.key) in self.facts.keys]
            elif func.attr.value == "_replace" and arg.keyword.value in self.facts.attributes:
                values.append(arg.value)
        return (func.value, values, f"`.{func.attr.value}()`") if values else None

    def copied_statuses(self, call: cst.Call, scope: Scope) -> list[tuple[cst.SimpleString, Origin, str]]:
        """The literal statuses a copy of a session row is given:
        ``row.model_copy(update={"status": "killed"})``, ``row._replace(status=...)``,
        ``attrs.evolve(row, status="killed")``, ``dataclasses.replace(row, ...)``,
        with the copied row's origin and how it is copied. Empty unless the
        copied object is a session row (a foreign record's copy is its own)."""
        found = self._copy_of(call)
        if found is None:
            return []
        copied, values, how = found
        literals = [v for v in values if isinstance(v, cst.SimpleString) and string_value(v) is not None]
        origin = self.origin(copied, scope) if literals else _UNKNOWN
        if origin.kind != "session":
            return []
        why = Origin("session", origin.strength, f"a copy of `{self.code(copied)}` made by {how}, where {origin.why}")
        return [(literal, why, how) for literal in literals]

    def copy_judged(self, call: cst.Call, scope: Scope) -> bool:
        """Whether what a copy is given is judged by what it copies: a
        session row, a record of another vocabulary, or an instance of a
        class that names its type (``build: Build``) and is never built from
        a session source. Only a copy of something unknown is left to the
        weaker signs of a dict with a status key."""
        found = self._copy_of(call)
        if found is None:
            return False
        copied = found[0]
        if self.origin(copied, scope).kind != "unknown":
            return True
        if isinstance(copied, cst.Name):
            typed = [b.annotation for b in scope.lookup(copied.value) if b.annotation is not None]
            return any((cst.helpers.get_full_name_for_node(t) or "")[:1].isupper() for t in typed)
        return False

    # -- what other modules need to know ---------------------------------
    def exports(self) -> dict[str, str]:
        """Facts of this module that other modules of the project use:
        functions that return session rows, and classes built from a session
        status (absolute dotted names -> the chain, with file and line)."""
        out: dict[str, str] = {}
        where = self.tree.display or self.tree.module
        for name, function in self.facts.functions.items():
            # Functions and methods (`Gateway.list_sessions`) alike.
            found = self._local_callable(name, 0)
            if found is not None and found.kind in ("session", "foreign") and found.strength == "strong":
                line = self.facts.pos(function).start.line
                verb = "yields" if name in self.facts.generators else "returns"
                inner = found.why.split(f" {verb}, ", 1)[-1]
                prefix = FOREIGN_EXPORT if found.kind == "foreign" else ""
                out[f"{self.tree.module}.{name}".lstrip(".")] = f"{prefix}what `{name}()` ({where}:{line}) {verb}, {inner}"
            # The items of the tuples it returns (`return done, pending`), for
            # the modules that unpack them.
            width = max((len(r.elements) for r, _ in self.facts.function_returns.get(name, [])
                         if isinstance(r, (cst.Tuple, cst.List))), default=0)
            for index in range(min(width, 4)):
                item = self.returned_item(name, index, 0)
                if item is not None and item.kind in ("session", "foreign") and item.strength == "strong":
                    prefix = FOREIGN_EXPORT if item.kind == "foreign" else ""
                    key = f"{self.tree.module}.{name}{_ITEM.format(index)}".lstrip(".")
                    out[key] = f"{prefix}{item.why.replace(' (line ', f' ({where}:', 1)}"
        for name in self.facts.classes:
            typed = self.foreign_field(name)
            if typed is not None:  # RefreshState: its status is another vocabulary's, wherever it is built
                out[f"{self.tree.module}.{name}".lstrip(".")] = f"{FOREIGN_EXPORT}{typed} ({where})"
                continue
            # A session row type (`SessionRow(TypedDict)`) or a class its own
            # class methods build from session rows (`cls(status=row.get(...))`).
            built = self.class_origin(name)
            dotted = f"{self.tree.module}.{name}".lstrip(".")
            if built is not None and built.kind == "session" and built.strength == "strong" and dotted not in out \
                    and self._exported_session(name) is None:  # told by another round already
                line = self.facts.pos(self.facts.classes[name]).start.line
                out[dotted] = f"{built.why} ({where}:{line})"
        out.update(self._attribute_exports(where))
        out.update(self.imported_attribute_exports(where))
        for call, scope in self.facts.all_calls:
            callee = cst.helpers.get_full_name_for_node(call.func) or ""
            head, _, method = callee.rpartition(".")
            if method[:1].isupper():
                built = self.built_from(call, scope)
            elif head.rsplit(".", 1)[-1][:1].isupper() and method.startswith(_CONSTRUCTORS):
                # SessionRow.from_row(r): a constructor given a whole row.
                callee, method = head, head.rsplit(".", 1)[-1]
                built = self.built_from(call, scope) or self._row_argument(call, scope)
            else:
                continue  # a class is built; a function's parameters are another question
            last = callee.rsplit(".", 1)[-1]
            full = self.absolute(callee)
            if full is None or full in out:
                continue
            if built is not None and built.kind == "session":
                line = self.facts.pos(call).start.line
                out[full] = f"a `{last}` built in {where}:{line} from {built.why}"
        for name, node in self.facts.classes.items():
            # A session class that is mapped, and its table, for the queries and SQL text of other modules.
            dotted = f"{self.tree.module}.{name}".lstrip(".")
            told = self._exported_session(name)
            known = out.get(dotted) or (told.why if told is not None else None)
            if known is None or known.startswith(FOREIGN_EXPORT) or not orm.is_mapped(node, self.facts.classes):
                continue
            out[f"{dotted}{MAPPED_EXPORT}"] = known
            table = orm.table_name(node)
            if table is not None and table in self.mapped_tables():
                out[f"{dotted}{TABLE_EXPORT}{table}"] = self.mapped_tables()[table]
        for model, written in self.orm_writes().items():
            # A Django model whose status is stored from session rows, wherever it is queried.
            full = self.absolute(model)
            if full is not None and full not in out and written.kind in ("session", "foreign"):
                # A class filled from `sessions_send` replies is another vocabulary's wherever it is tested.
                prefix = FOREIGN_EXPORT if written.kind == "foreign" else ""
                out[full] = prefix + written.why.replace(" at line ", f" in {where}:", 1)
        return out


    def _attribute_exports(self, where: str) -> dict[str, str]:
        """``module.Class.attr`` for each attribute of a class of this module
        that holds session rows or another vocabulary's records (see
        :meth:`held_attribute`): a module that reads it from an instance
        (``snap.sessions`` where ``snap: Snapshot``) learns where it comes from."""
        out: dict[str, str] = {}
        attributes = {t.attr.value for t, _, _ in self.facts.attribute_writes}
        for cls in self.facts.classes:
            # Its fields too: a call may give them by position (`LoadResult(rows, tasks)`).
            given = set(self.status_fields(cls)) if self.facts.calls.get(cls) else set()
            for attr in sorted(attributes | given | {
                    arg.keyword.value for call, _ in self.facts.calls.get(cls, []) for arg in call.args
                    if arg.keyword is not None}):
                if f"{cls}.{attr}" in self.facts.functions:
                    continue
                held = self.held_attribute(cls, attr)
                if held is not None:
                    prefix = FOREIGN_EXPORT if held.kind == "foreign" else ""
                    out[f"{self.tree.module}.{cls}.{attr}".lstrip(".")] = f"{prefix}{held.why} ({where})"
        return out


def _class_annotation(annotation: cst.BaseExpression | None) -> str | None:
    """The class an annotation names (``Gateway``, ``Gateway | None``,
    ``Optional[Gateway]``, ``"Gateway"``), or None for anything else."""
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        left, right = annotation.left, annotation.right
        annotation = right if isinstance(left, cst.Name) and left.value == "None" else left
    if isinstance(annotation, cst.Subscript):
        wrapper = cst.helpers.get_full_name_for_node(annotation.value) or ""
        index = annotation.slice[0].slice
        if wrapper.rsplit(".", 1)[-1] != "Optional" or len(annotation.slice) != 1 or not isinstance(index, cst.Index):
            return None  # list[Row], Dict[str, Gateway]: a container, no instance
        annotation = index.value
    if isinstance(annotation, cst.SimpleString):
        text = string_value(annotation) or ""
        return text if re.fullmatch(r"[A-Z]\w*(?:\.\w+)*", text) else None
    if annotation is None:
        return None
    typed = cst.helpers.get_full_name_for_node(annotation) or ""
    return typed if typed.rsplit(".", 1)[-1][:1].isupper() else None


def _class_name(node: cst.BaseExpression) -> str | None:
    """``Gateway`` / ``gateway.Gateway`` as a class's name, else None."""
    name = cst.helpers.get_full_name_for_node(node) or ""
    return name if name.rsplit(".", 1)[-1][:1].isupper() else None


def _made_by(annotation: cst.BaseExpression | None) -> str | None:
    """The class an annotation says calling the value builds:
    ``Callable[..., Gateway]``, ``type[Gateway]``, ``Type[Gateway]``."""
    if not isinstance(annotation, cst.Subscript):
        return None
    wrapper = (cst.helpers.get_full_name_for_node(annotation.value) or "").rsplit(".", 1)[-1]
    last = annotation.slice[-1].slice
    if not isinstance(last, cst.Index):
        return None
    if wrapper == "Callable" and len(annotation.slice) == 2 or wrapper in ("type", "Type") and len(annotation.slice) == 1:
        return _class_annotation(last.value)
    return None


def _runs_command(value: cst.BaseExpression | None) -> bool:
    """Whether ``value`` runs a command line (``subprocess.run([...])``):
    what it holds is what the command prints, whatever the name it is
    given (``proc`` there names no process record)."""
    if not isinstance(value, cst.Call):
        return False
    last = (cst.helpers.get_full_name_for_node(value.func) or "").rsplit(".", 1)[-1]
    return last in _COMMANDS and last != "split" and bool(value.args)


def _decorated(function: cst.FunctionDef, name: str) -> bool:
    """Whether ``function`` carries the decorator ``name`` (``classmethod``)."""
    return any(cst.helpers.get_full_name_for_node(d.decorator) == name for d in function.decorators)
_SELECT = re.compile(r"(?is)\bselect\s+(?:distinct\s+)?(.+?)\s+from\s+([\w\"`\[\]]+)")


def select_list(sql: str) -> tuple[str, list[str]] | None:
    """The table and the column names of a one-table ``SELECT`` (``SELECT
    session_key, n.status AS st FROM session_nodes n`` -> ``("session_nodes",
    ["session_key", "status"])``); None for a join, a ``*`` or anything else."""
    found = _SELECT.search(sql)
    if found is None or re.search(r"(?i)\bjoin\b", sql) or re.match(r"\s*(?:\w+\s*)?,", sql[found.end(2):]):
        return None
    columns, depth, current = [], 0, ""
    for char in found.group(1):
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            columns.append(current)
            current = ""
        else:
            current += char
    columns.append(current)
    names = []
    for column in columns:
        text = re.split(r"(?i)\s+as\s+", column.strip())[0].strip()
        if text == "*" or text.endswith(".*"):
            return None
        # An expression (`count(*)`, `json_extract(...)`) holds no column of its own.
        names.append(text.rsplit(".", 1)[-1].strip("\"`[]") if re.fullmatch(r"[\w.\"`\[\]]+", text) else "")
    return found.group(2).strip("\"`[]"), names


_TABLE = re.compile(r"(?i)\b(?:from|update|into)\s+[\"`\[]?(\w+)")
_PLACEHOLDER_TEST = re.compile(
    r"(?i)(?:\b\w+\.)?\b(\w+)[\"`\]]?\s*(?:(?:not\s+)?in\s*\(\s*([^()]*?)\s*\)|(?:==?|!=|<>)\s*(\?))")


@dataclass(frozen=True)
class ParameterTest:
    """A test of a column with bound parameters in a query's text: the
    table, the column, the indices of its placeholders among the query's,
    how many the query has, and whether its list is generated (``IN ({})``:
    an f-string placeholder, not ``?`` written by hand)."""

    table: str
    column: str
    indices: tuple[int, ...]
    total: int
    generated: bool
    # A value written, not tested: `SET status = ?`, `INSERT ... (status) VALUES (?)`.
    writes: bool = False


_SET = re.compile(r"(?is)\bset\b(.*?)(?:\bwhere\b|$)")
_INSERT = re.compile(r"(?is)\binsert\s+(?:or\s+\w+\s+)?into\s+[\"`\[]?\w+[\"`\]]?\s*\(([^()]*)\)\s*values\s*\(([^()]*)\)")


def parameter_tests(sql: str) -> list[ParameterTest]:
    """The columns a query tests against ``?`` parameters (``WHERE status IN
    (?, ?)``, ``status = ?``, ``status IN ({marks})``), or writes from one
    (``SET status = ?``, ``INSERT ... (key, status) VALUES (?, ?)``), for a
    query of one table."""
    table = _TABLE.search(sql)
    if table is None or re.search(r"(?i)\bjoin\b", sql):
        return []
    out = []
    setting = _SET.search(sql) if re.match(r"(?is)\s*update\b", sql) else None
    inserted = _INSERT.search(sql)
    if inserted is not None:
        columns = [c.strip().strip("\"`[]") for c in inserted.group(1).split(",")]
        values = [v.strip() for v in inserted.group(2).split(",")]
        before = sql[:inserted.start(2)].count("?")
        if len(columns) == len(values) and all(v == "?" for v in values):
            out += [ParameterTest(table.group(1), c, (before + i,), sql.count("?"), False, True)
                    for i, c in enumerate(columns)]
    for found in _PLACEHOLDER_TEST.finditer(sql):
        before = sql[:found.start()].count("?")
        listed = found.group(2)
        if found.group(3) is not None:
            writes = setting is not None and setting.start(1) <= found.start() < setting.end(1)
            out.append(ParameterTest(table.group(1), found.group(1), (before,), sql.count("?"), False, writes))
        elif listed is not None and listed and all(p.strip() == "?" for p in listed.split(",")):
            count = len(listed.split(","))
            out.append(ParameterTest(table.group(1), found.group(1), tuple(range(before, before + count)),
                                     sql.count("?"), False))
        elif listed == "{}":
            out.append(ParameterTest(table.group(1), found.group(1), (), sql.count("?"), True))
    return out


NodeT = TypeVar("NodeT", bound=cst.CSTNode)


def nodes_in(node: cst.CSTNode, kind: type[NodeT]) -> list[NodeT]:
    """The nodes of ``kind`` anywhere below ``node`` (``node`` included): the
    string literals of a type's `Literal[...]`, the names of an expression."""
    out: list[NodeT] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, kind):
            out.append(current)
        stack.extend(current.children)
    return out


def _argument(call: cst.Call, positional: Sequence[str], param: str) -> cst.BaseExpression | None:
    """What ``call`` passes for ``param`` (by keyword or position), if anything."""
    argument = None
    for i, arg in enumerate(call.args):
        if arg.keyword is not None:
            if arg.keyword.value == param:
                argument = arg.value
        elif arg.star == "" and i < len(positional) and positional[i] == param:
            argument = arg.value
    return argument


def _only_looked_up(within: cst.CSTNode, name: str, attribute: bool) -> bool:
    """Whether every use of ``name`` (``self.name`` when ``attribute``) in
    ``within`` but its one assignment reads it as a table: ``T[key]``,
    ``T.get(key)``, ``key in T``."""
    uses = 0
    stores: set[int] = set()
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None]] = [(within, None)]
    while stack:
        node, parent = stack.pop()
        if isinstance(node, (cst.AugAssign, cst.AnnAssign)):
            stores.add(id(node.target))
        elif isinstance(node, cst.Assign):
            stores |= {id(t.target) for t in node.targets}
        elif isinstance(node, cst.Del):
            stores.add(id(node.target))
        used = (
            isinstance(node, cst.Attribute) and node.attr.value == name and isinstance(node.value, cst.Name)
            if attribute else isinstance(node, cst.Name) and node.value == name
        )
        if used:
            if id(node) in stores:
                uses += 1  # the one assignment
                if uses > 1:
                    return False
            elif not _a_lookup(node, parent, stores):
                return False
            if attribute:
                continue
        stack.extend((child, node) for child in node.children)
    return True


def _a_lookup(node: cst.CSTNode, parent: cst.CSTNode | None, stores: set[int]) -> bool:
    if isinstance(parent, cst.Subscript) and parent.value is node:
        return id(parent) not in stores
    if isinstance(parent, cst.Attribute) and parent.value is node:
        return parent.attr.value == "get"
    if isinstance(parent, cst.ComparisonTarget) and parent.comparator is node:
        return isinstance(parent.operator, (cst.In, cst.NotIn))
    return False


# The export key of item N of the tuples a function returns: `pkg.mod.wait[0]`.
_ITEM = "[{}]"


def _plain_item(node: cst.BaseExpression, index: int) -> cst.BaseExpression | None:
    """Element ``index`` of a tuple or list display with no starred element."""
    if not isinstance(node, (cst.Tuple, cst.List)) or index >= len(node.elements):
        return None
    if any(isinstance(e, cst.StarredElement) for e in node.elements):
        return None
    return node.elements[index].value


def collection_elements(node: cst.BaseExpression) -> Sequence[cst.BaseElement] | None:
    """Elements of a tuple/list/set literal (also inside ``set(...)``/``frozenset(...)``)."""
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        return node.elements
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("set", "frozenset"):
        if len(node.args) == 1 and isinstance(node.args[0].value, (cst.Tuple, cst.List, cst.Set)):
            return node.args[0].value.elements
    return None


def case_literals(pattern: cst.MatchPattern) -> list[cst.SimpleString]:
    """The string literals a ``case`` pattern of values and ``|`` tests."""
    if isinstance(pattern, cst.MatchValue) and string_value(pattern.value) is not None:
        return [pattern.value]  # type: ignore[list-item]
    if isinstance(pattern, cst.MatchAs) and pattern.pattern is not None:
        return case_literals(pattern.pattern)
    if isinstance(pattern, cst.MatchOr):
        out: list[cst.SimpleString] = []
        for element in pattern.patterns:
            out += case_literals(element.pattern)
        return out
    return []


def _index_string(element: cst.SubscriptElement) -> str | None:
    return string_value(element.slice.value) if isinstance(element.slice, cst.Index) else None


def table_entries(node: cst.BaseExpression) -> Sequence[cst.BaseDictElement] | None:
    """Entries of a dict literal whose keys are all string literals."""
    if isinstance(node, cst.Dict) and node.elements:
        if all(isinstance(e, cst.DictElement) and string_value(e.key) is not None for e in node.elements):
            return node.elements
    return None


def _strings_and_names(node: cst.CSTNode, limit: int) -> Iterator[str]:
    """Strings and names inside an expression, breadth-first, bounded."""
    queue: list[cst.CSTNode] = [node]
    seen = 0
    while queue and seen < limit:
        current = queue.pop(0)
        seen += 1
        if isinstance(current, cst.SimpleString):
            value = string_value(current)
            if value:
                yield value
        elif isinstance(current, cst.Name):
            yield current.value
        elif isinstance(current, cst.Attribute):
            yield current.attr.value
        queue.extend(current.children)


def union_components(node: cst.BaseExpression) -> list[cst.Name] | None:
    """The constants a union of constants is made of: ``A | B``, ``A + B``,
    ``{*A, *B}``, ``frozenset(A | B)``, ``A | {"done"}`` -> ``[A, B]``; None
    for anything else (see :func:`union_parts` for its literals)."""
    parts = union_parts(node)
    return None if parts is None else parts[0]


def union_parts(node: cst.BaseExpression) -> tuple[list[cst.Name], list[cst.BaseExpression]] | None:
    """The constants and the literal collections of strings a union is made
    of (``BROKEN | {"done", "killed"}``, ``frozenset({...}) | {...}``,
    ``A.union({...})``); None for anything else."""
    if isinstance(node, cst.Name):
        return [node], []
    elements = collection_elements(node)
    if elements and all(isinstance(e, cst.Element) and string_value(e.value) is not None for e in elements):
        return [], [node]
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.BitOr, cst.Add)):
        left, right = union_parts(node.left), union_parts(node.right)
        return None if left is None or right is None else (left[0] + right[0], left[1] + right[1])
    if (
        isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "union"
        and node.args and not any(a.star or a.keyword for a in node.args)
    ):
        out = union_parts(node.func.value)
        for arg in node.args:
            more = union_parts(arg.value)
            if out is None or more is None:
                return None
            out = (out[0] + more[0], out[1] + more[1])
        return out
    if isinstance(node, (cst.Set, cst.Tuple, cst.List)) and node.elements:
        names: list[cst.Name] = []
        for element in node.elements:
            if not (isinstance(element, cst.StarredElement) and isinstance(element.value, cst.Name)):
                return None
            names.append(element.value)
        return names, []
    if (
        isinstance(node, cst.Call) and isinstance(node.func, cst.Name)
        and node.func.value in ("set", "frozenset", "tuple", "list") and len(node.args) == 1 and not node.args[0].star
    ):
        return union_parts(node.args[0].value)
    return None


def union_literals(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The literal collections of a union that unites constants or literals
    (``{"done", "killed"}`` of ``BROKEN | {"done", "killed"}``); none for a
    plain collection, which is a constant of its own."""
    if collection_elements(node) is not None or isinstance(node, cst.Name):
        return []
    parts = union_parts(node)
    return [] if parts is None else parts[1]
