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

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import libcst as cst
from libcst.metadata import CodeRange

from codemods.literals import string_value
from migrator.findings import Confidence
from migrator.manifest import Manifest
from migrator.suppressions import parse as parse_suppressions

NORMALIZERS = frozenset({"lower", "strip", "casefold", "lstrip", "rstrip"})
# Session sources: calls or strings whose result is a session row container.
SESSION_SOURCES = ("sessions_list", "sessions.list", "sessions.json", "sessions.changed", "session_nodes")
MARK_STATUS = "session-status"
# Calls whose result is their first argument decoded: provenance flows through.
DECODERS = frozenset({"load", "loads", "read", "read_text", "parse", "decode", "dict", "list", "json"})
_STATUS_WORD = re.compile(r"\b(?:status|statuses|state)\b", re.IGNORECASE)
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def words_of(identifier: str) -> list[str]:
    """``lastRunStatus`` -> ['last', 'run', 'status']; ``proc_info`` -> ['proc', 'info']."""
    return [w.lower() for w in _WORD_SPLIT.split(identifier) if w]


@dataclass
class Binding:
    kind: str  # assign | for | with | param | import | walrus
    value: cst.BaseExpression | None
    line: int
    marked: bool = False


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
    """One comparison of a subject with string literals, as collected."""

    node: cst.Comparison
    subject: cst.BaseExpression
    op: cst.BaseCompOp
    other: cst.BaseExpression  # the literal, collection or name compared with
    scope: Scope
    line: int


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


@dataclass(frozen=True)
class Origin:
    kind: str  # session | foreign | unknown
    strength: str  # strong | weak
    why: str


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
        self.manifest = manifest
        self.keys = frozenset(manifest.python.keys)
        self.attributes = frozenset(manifest.python.attributes)
        self.evidence_tokens = tuple(t.lower() for t in manifest.python.evidence)
        self.evidence_imports = tuple(manifest.python.evidence_imports)
        self.mixed_tokens = tuple(t.lower() for t in manifest.python.mixed_sources)
        # Other vocabularies this module handles (sessions_send, agents_wait...).
        self.mixed: list[str] = []
        self.markers = tuple(markers)
        self.module_scope: Scope | None = None
        self.stack: list[Scope] = []
        self.comparisons: list[Comparison] = []
        self.evidence: list[str] = []
        self.imports: list[tuple[str, int]] = []  # (module, level)
        self.imported_names: dict[str, tuple[str, int, str]] = {}
        self.constants: dict[str, cst.BaseExpression] = {}
        self.writers: list[tuple[cst.BaseExpression, cst.SimpleString, Scope, str]] = []
        self.matches: list[MatchStatement] = []
        self.dispatches: list[Dispatch] = []
        # Calls of plain names, for what a function's parameters are passed.
        self.calls: dict[str, list[tuple[cst.Call, Scope]]] = {}
        self.inline_dispatches: list[tuple[cst.Dict, cst.BaseExpression, Scope]] = []
        self.literal_types: list[LiteralType] = []
        self.enums: list[EnumClass] = []
        # Strings that mention an old name inside a longer text, and literal
        # returns: listed for review only.
        self.messages: list[tuple[cst.BaseExpression, list[str], Scope]] = []
        self.returns: list[tuple[cst.SimpleString, str, Scope]] = []
        # Names compared with a session event name: ``frame["event"] == "sessions.changed"``.
        self.event_names: dict[int, set[str]] = {}
        self.module_aliases: dict[str, str] = {}  # ``import a.b as c``: c -> a.b
        self._docstrings: set[int] = set()
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

    # -- positions -------------------------------------------------------
    def pos(self, node: cst.CSTNode) -> CodeRange:
        if self._positions is None:
            self._positions = self._resolve_positions()
        return self._positions[node]

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
        self._note_identifier(node.name.value)
        self.scope.bindings.setdefault(node.name.value, []).append(Binding("def", None, self.line(node)))
        scope = Scope(node, self.scope)
        # @client.on("sessions.changed") def handle(payload): the handler's
        # parameters are the event's payload.
        event = None
        for decorator in node.decorators:
            for token in _strings_and_names(decorator.decorator, limit=12):
                if token in SESSION_SOURCES:
                    event = token
        for param in [*node.params.params, *node.params.kwonly_params, *node.params.posonly_params]:
            binding = Binding("param", param.default, self.line(param))
            if event is not None:
                binding = Binding("event", cst.SimpleString(repr(event)), binding.line)
            scope.bindings.setdefault(param.name.value, []).append(binding)
        self.stack.append(scope)
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
        bases = [cst.helpers.get_full_name_for_node(b.value) or "" for b in node.bases]
        if not any(b.rsplit(".", 1)[-1].endswith("Enum") for b in bases):
            return
        members = []
        for statement in node.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if (
                    isinstance(small, cst.Assign)
                    and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name)
                    and string_value(small.value) is not None
                ):
                    assert isinstance(small.value, cst.SimpleString)
                    members.append((small.targets[0].target.value, small.value))
        if members:
            self.enums.append(EnumClass(node, node.name.value, members, self.line(node)))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def _bind(self, target: cst.BaseExpression, kind: str, value: cst.BaseExpression | None, line: int) -> None:
        if isinstance(target, cst.Name):
            marked = line in self.marker_lines
            self.scope.bindings.setdefault(target.value, []).append(Binding(kind, value, line, marked))
            if kind == "assign" and self.scope is self.module_scope and value is not None:
                self.constants[target.value] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                # Unpacking loses which part is which: bind with no value.
                self._bind(element.value, kind, None, line)

    def visit_Assign(self, node: cst.Assign) -> None:
        line = self.line(node)
        first = node.targets[0].target
        self._owners.append(first.value if isinstance(first, cst.Name) else "")
        for target in node.targets:
            self._bind(target.target, "assign", node.value, line)
            self._note_writer(target.target, node.value)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        self._owners.pop()

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        target = node.target
        self._owners.append(target.value if isinstance(target, cst.Name) else self._subject_owner(target))
        if node.value is not None:
            self._bind(node.target, "assign", node.value, self.line(node))
            self._note_writer(node.target, node.value)

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
                    self.dispatches.append(Dispatch(node.value.value, key, self.scope, self.line(node)))

    def visit_Match(self, node: cst.Match) -> None:
        self.matches.append(MatchStatement(node, node.subject, self.scope, self.line(node)))

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            self._docstrings.add(id(node.value))  # docstrings and bare strings are prose

    def visit_Return(self, node: cst.Return) -> None:
        # return "done" / return "done" if ok else "failed": a mapping function.
        values = [node.value]
        if isinstance(node.value, cst.IfExp):
            values = [node.value.body, node.value.orelse]
        for value in values:
            if isinstance(value, cst.SimpleString) and string_value(value) in self._old_words:
                self.returns.append((value, (self._functions or ["<module>"])[-1], self.scope))

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
        # the second name is an element of the container.
        if isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 2 and isinstance(iterable, cst.Call):
            func = iterable.func
            container: cst.BaseExpression | None = None
            if isinstance(func, cst.Attribute) and func.attr.value in ("items", "values") and not iterable.args:
                container = func.value
            elif isinstance(func, cst.Name) and func.value == "enumerate" and iterable.args:
                container = iterable.args[0].value
            if container is not None:
                self._bind(target.elements[0].value, "for", None, line)
                self._bind(target.elements[1].value, "for", container, line)
                return
        self._bind(target, "for", iterable, line)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        # Comprehension variables are bound in the enclosing scope here: close
        # enough for provenance, and they rarely shadow anything.
        self._bind_loop(node.target, node.iter, self.line(node))

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind(node.asname.name, "with", node.item, self.line(node))

    def _note_import(self, module: str) -> None:
        if module.split(".", 1)[0] in self.evidence_imports:
            self.evidence.append(f"imports {module}")

    def visit_Import(self, node: cst.Import) -> None:
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
    def _note_identifier(self, text: str) -> None:
        low = text.lower()
        for token in self.mixed_tokens:
            if token in low:
                self.mixed.append(token)
                break
        for token in self.evidence_tokens:
            if token in low:
                self.evidence.append(token)
                return
        for marker in self.markers:
            if marker and marker in text:
                self.evidence.append(marker)
                return

    def visit_Name(self, node: cst.Name) -> None:
        self._note_identifier(node.value)

    def visit_List(self, node: cst.List) -> None:
        # ["openclaw", "sessions", "--json"]: the CLI's session list.
        words = [string_value(e.value) for e in node.elements[:3]]
        if len(words) >= 2 and words[0] == "openclaw" and words[1]:
            self._note_identifier(f"openclaw {words[1]}")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._note_identifier(node.attr.value)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        value = string_value(node)
        if value is None:
            return
        if len(value) < 200 and id(node) not in self._docstrings:
            self._note_identifier(value)
        if value not in self._old_words and id(node) not in self._docstrings and len(value) < 2000:
            found = self._old_pattern.findall(value)
            if found and self._status_context(value):
                self.messages.append((node, found, self.scope))

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
            if string_value(literal) in SESSION_SOURCES:
                root = None
                if isinstance(subject, cst.Subscript) and len(subject.slice) == 1:
                    root = subject.value
                elif isinstance(subject, cst.Attribute):
                    root = subject.value
                elif isinstance(subject, cst.Call) and isinstance(subject.func, cst.Attribute):
                    root = subject.func.value
                if isinstance(root, cst.Name):
                    owner = self.scope.owner_of(root.value) or self.scope
                    self.event_names.setdefault(id(owner), set()).add(root.value)

    def _note_writer(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(value, cst.SimpleString) and string_value(value) is not None:
            key = self.status_key_of(target)
            if key is not None:
                self.writers.append((target, value, self.scope, key))

    def visit_Dict(self, node: cst.Dict) -> None:
        for element in node.elements:
            if isinstance(element, cst.DictElement) and string_value(element.key) in self.keys:
                if isinstance(element.value, cst.SimpleString) and string_value(element.value) is not None:
                    self.writers.append((node, element.value, self.scope, "dict"))

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name):
            self.calls.setdefault(node.func.value, []).append((node, self.scope))
        name = cst.helpers.get_full_name_for_node(node.func) or ""
        self._note_identifier(name.rsplit(".", 1)[-1])
        if (
            isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "get"
            and isinstance(node.func.value, cst.Dict)
            and node.args
            and string_value(node.args[0].value) is None
        ):
            self.inline_dispatches.append((node.func.value, node.args[0].value, self.scope))
        if (
            isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "get"
            and isinstance(node.func.value, cst.Name)
            and node.args
            and string_value(node.args[0].value) is None
        ):
            self.dispatches.append(Dispatch(node.func.value.value, node.args[0].value, self.scope, self.line(node)))
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

    def __init__(self, facts: ModuleFacts, module: cst.Module, module_evidence: list[str]) -> None:
        self.facts = facts
        self.module = module
        self.manifest = facts.manifest
        self.vocab = facts.manifest.vocabulary
        self.session_words = self.vocab.all_values
        self.foreign_words = facts.manifest.python.foreign_words
        self.foreign_sources = tuple(s.lower() for s in facts.manifest.python.foreign_sources)
        self.module_evidence = module_evidence
        self.markers = facts.markers
        self._words_by_key: dict[str, set[str]] = {}
        self._collect_words()

    # -- text helpers ----------------------------------------------------
    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node).strip()

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

    def constant_collection(self, node: cst.BaseExpression, scope: Scope) -> tuple[str, cst.BaseExpression] | None:
        """``(name, literal)`` when ``node`` names a module-level collection constant."""
        if isinstance(node, cst.Name) and node.value in self.facts.constants:
            owner = scope.owner_of(node.value)
            if owner is not None and owner is self.facts.module_scope and len(owner.bindings[node.value]) == 1:
                value = self.facts.constants[node.value]
                if collection_elements(value) is not None or table_entries(value) is not None:
                    return node.value, value
        return None

    # -- subjects --------------------------------------------------------
    def subject(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> Subject | None:
        for part in unwrap(node):
            key = self.facts.status_key_of(part)
            if key is not None:
                root = status_root(part)
                return Subject(f"{self.code(root)}.{key}", True, root, scope, f"`{self.code(part)}`")
        for part in unwrap(node):
            if isinstance(part, cst.Name):
                bindings = scope.lookup(part.value)
                owner = scope.owner_of(part.value) or scope
                marked = any(b.marked for b in bindings)
                if depth < 4:
                    for binding in bindings:
                        if binding.kind in ("assign", "walrus") and binding.value is not None:
                            inner = self.subject(binding.value, owner, depth + 1)
                            if inner is not None and inner.is_status:
                                return Subject(
                                    inner.key, True, inner.root, inner.scope,
                                    f"`{part.value}` (bound from {inner.description})", marked or inner.marked,
                                )
                return Subject(f"{id(owner)}:{part.value}", False, None, owner, f"`{part.value}`", marked)
        return None

    def _collect_words(self) -> None:
        for comparison in self.facts.comparisons:
            words = self.literal_words(comparison.other)
            if words is None:
                const = self.constant_collection(comparison.other, comparison.scope)
                if const is not None:
                    words = self.literal_words(const[1])
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

    def words_with(self, subject: Subject) -> set[str]:
        return self._words_by_key.get(subject.key, set())

    # -- origins ---------------------------------------------------------
    def _foreign_token(self, text: str) -> str | None:
        low = text.lower()
        words = words_of(text)
        for source in self.foreign_sources:
            if "_" in source or "." in source:
                if source in low:
                    return source
            elif any(w == source or w == source + "s" or w == source + "es" for w in words):
                return source
        return None

    def _session_token(self, text: str) -> str | None:
        low = text.lower()
        for source in SESSION_SOURCES:
            if source in low:
                return source
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
        for arg in call.args:
            for node in _strings_and_names(arg.value, limit=40):
                yield node

    def origin(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> Origin:
        """Where the object a status is read from comes from."""
        if depth > 6:
            return Origin("unknown", "weak", "")
        if isinstance(node, cst.Call):
            # A foreign source wins over a session source: sessions_send
            # mentions "sessions" too.
            tokens = list(self._call_tokens(node))
            for token in tokens:
                foreign = self._foreign_token(token)
                if foreign:
                    return Origin("foreign", "strong", f"the value comes from `{foreign}`")
            for token in tokens:
                session = self._session_token(token)
                if session:
                    return Origin("session", "strong", f"a `{session}` result")
            if isinstance(node.func, cst.Attribute):
                inner = self.origin(node.func.value, scope, depth + 1)
                if inner.kind != "unknown":
                    return inner
            # json.load(handle) where handle = open(".../sessions.json"):
            # decoding keeps the provenance of what is decoded.
            name = cst.helpers.get_full_name_for_node(node.func) or ""
            if name.rsplit(".", 1)[-1] in DECODERS and node.args:
                inner = self.origin(node.args[0].value, scope, depth + 1)
                if inner.kind != "unknown":
                    return Origin(inner.kind, inner.strength, f"decoded from {inner.why}")
            return Origin("unknown", "weak", "")
        if isinstance(node, (cst.Subscript, cst.Attribute)):
            if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
                label = string_value(node.slice[0].slice.value) or ""
            elif isinstance(node, cst.Attribute):
                label = node.attr.value
            else:
                label = ""
            foreign = self._foreign_token(label) if label else None
            if foreign:
                return Origin("foreign", "strong", f"the value comes from `{foreign}`")
            inner = self.origin(node.value, scope, depth + 1)
            if inner.kind == "session" and label in ("sessions",):
                return Origin("session", "strong", f"the `sessions` of {inner.why}")
            return inner
        if isinstance(node, cst.Name):
            foreign = self._foreign_token(node.value)
            if foreign:
                return Origin("foreign", "strong", f"`{node.value}` names `{foreign}`")
            bindings = scope.lookup(node.value)
            owner = scope.owner_of(node.value) or scope
            if any(b.marked for b in bindings):
                return Origin("session", "strong", f"`{node.value}` is marked `# migrator: {MARK_STATUS}`")
            for binding in bindings:
                if binding.kind == "event" and binding.value is not None:
                    event = string_value(binding.value)
                    return Origin("session", "strong", f"`{node.value}` is the payload of a `{event}` handler")
            if node.value in self.facts.event_names.get(id(owner), ()):
                return Origin("session", "strong", f"`{node.value}` is a `sessions.changed` event frame")
            for binding in bindings:
                if binding.value is None or binding.kind == "event":
                    continue
                inner = self.origin(binding.value, owner, depth + 1)
                if inner.kind != "unknown":
                    if binding.kind == "for":
                        if inner.kind == "session":
                            return Origin("session", inner.strength, f"`{node.value}` iterates {inner.why}")
                        return inner
                    return Origin(inner.kind, inner.strength, f"`{node.value}`, {inner.why}")
            if any(b.kind == "param" for b in bindings) and isinstance(owner.node, cst.FunctionDef):
                passed = self._param_origin(node.value, owner.node, depth)
                if passed is not None:
                    return passed
            if "session" in words_of(node.value) or node.value.lower().startswith("sess"):
                return Origin("session", "weak", f"`{node.value}` names a session")
        return Origin("unknown", "weak", "")

    def _param_origin(self, param: str, function: cst.FunctionDef, depth: int) -> Origin | None:
        """What the module's own calls pass for ``param``: a session row at
        every call site makes it one; a foreign value at any call site makes
        it foreign. None when there are no such calls to learn from."""
        positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
        origins: list[Origin] = []
        for call, scope in self.facts.calls.get(function.name.value, []):
            argument = None
            for i, arg in enumerate(call.args):
                if arg.keyword is not None:
                    if arg.keyword.value == param:
                        argument = arg.value
                elif arg.star == "" and i < len(positional) and positional[i] == param:
                    argument = arg.value
            if argument is None:
                continue
            origins.append(self.origin(argument, scope, depth + 2))
        if not origins:
            return None
        foreign = [o for o in origins if o.kind == "foreign"]
        if foreign:
            return Origin("foreign", "strong", f"`{param}` is passed a value from elsewhere: {foreign[0].why}")
        if all(o.kind == "session" for o in origins):
            strength = "strong" if all(o.strength == "strong" for o in origins) else "weak"
            return Origin("session", strength, f"`{param}` of `{function.name.value}()` is passed {origins[0].why}")
        return None

    # -- the verdict -----------------------------------------------------
    def verdict(self, subject: Subject, compared: Sequence[str], verb: str = "compared with") -> Verdict:
        """How sure we are that ``subject`` holds a session status."""
        words = self.words_with(subject) | set(compared)
        foreign = sorted(words & self.foreign_words)
        if foreign:
            return Verdict(None, f"{subject.description} is also compared with {', '.join(map(repr, foreign))}")
        if subject.marked:
            return Verdict("certain", f"{subject.description} is marked `# migrator: {MARK_STATUS}`")
        together = sorted(w for w in words & set(self.vocab.unchanged))
        evidence = (
            f"module talks to OpenClaw ({self.module_evidence[0]})" if self.module_evidence else ""
        )
        mixed = self.facts.mixed
        if subject.is_status and subject.root is not None:
            origin = self.origin(subject.root, subject.scope)
            if origin.kind == "foreign":
                return Verdict(None, f"{subject.description}: {origin.why}")
            if origin.kind == "session" and origin.strength == "strong":
                return Verdict("certain", f"{verb} {subject.description}, where {origin.why}")
            # A row of unknown origin (a parameter, a name that merely says
            # "session") is a session row only in a module that talks to
            # OpenClaw and handles no other vocabulary with the same words.
            reason = "; ".join(r for r in (origin.why, evidence) if r)
            if evidence and not mixed:
                return Verdict("likely", f"{verb} {subject.description}; {reason}")
            if evidence:
                return Verdict(
                    "possible",
                    f"{verb} {subject.description} of unknown origin; the module also handles `{mixed[0]}` results",
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
