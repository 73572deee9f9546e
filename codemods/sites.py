"""Rewrite sites, found on the stdlib ``ast``: does a module hold a place any
form could change or report?

A file that quotes an old name is parsed here first (``ast`` parses several
times faster than LibCST and needs no visitor of its own). Only a module with
a site (a status test, a ``case``, a dispatch table, a ``Literal``, an enum, a
writer, a default, a constructor given a status, and in a module that talks
to OpenClaw a message or a returned status) is analysed for provenance and,
where a rewrite is due, handed to LibCST. The test is generous: a site is
a place a form *could* judge; the forms decide.
"""

from __future__ import annotations

import ast
import gc
import re
from collections import OrderedDict
from typing import Any, Callable, Iterable

from codemods import orm, tables
from codemods.words import COUNTERS, foreign_token, words_of
from migrator.manifest import Manifest

# A validating helper: its positional parameters, and each (tested, collection)
# pair of parameters its body tests for membership (`value in allowed`).
Validator = tuple[tuple[str, ...], tuple[tuple[str, str], ...]]

# Trees kept by their source, the least recently used dropped past this much
# source: a run asks of a module again in each pass of the tree's gathering
# (a few modules at a time would be parsed about three times each), and a
# tree takes about ten times its source.
_TREES: OrderedDict[bytes, ast.Module] = OrderedDict()
TREES_BUDGET = 8 << 20
_tree_bytes = 0


def parse(source: bytes) -> ast.Module:
    """``source`` on the stdlib ast, parsed once for the several questions a
    run asks of one module (raises what :func:`ast.parse` raises). Shared:
    callers read the tree and never change it."""
    global _tree_bytes
    tree = _TREES.get(source)
    if tree is not None:
        _TREES.move_to_end(source)
        return tree
    tree = _parsed(source)
    _TREES[source] = tree
    _tree_bytes += len(source)
    while _tree_bytes > TREES_BUDGET and len(_TREES) > 1:
        _tree_bytes -= len(_TREES.popitem(last=False)[0])
    return tree


def _parsed(source: bytes) -> ast.Module:
    """``ast.parse`` with the cyclic collector paused: a tree is millions of
    new objects and no cycle, and each collection the allocations set off
    walks every object the run holds (the trees kept, the tree's facts).
    Parsing the 143 candidates of a 12,000-file tree took 2.8 s so, 1.1 s not."""
    if not gc.isenabled():
        return ast.parse(source)
    gc.disable()
    try:
        return ast.parse(source)
    finally:
        gc.enable()


# Names and modules of the functions that copy a record with fields replaced
# (codemods.provenance.COPIERS says which are).
_COPY_NAMES = frozenset({"evolve", "replace", "assoc", "_replace"})
COPIER_MODULES = frozenset({"dataclasses", "attrs", "attr", "copy"})
_SQL_SELECT = re.compile(rb"(?i)\bselect\b")
_NORMALIZERS = frozenset({"lower", "strip", "casefold", "lstrip", "rstrip", "str"})
_STATUS_WORD = re.compile(r"(?i)status|state")
_NAME_BEFORE = re.compile(rb"\w+$")
# A module-level `def` line and its parameters (up to the first closing parenthesis).
_DEF_LINE = re.compile(rb"^(?:async[ \t]+)?def[ \t]+\w+[ \t]*\(([^)]*)", re.MULTILINE)


class Sites:
    """The site test for one manifest."""

    def __init__(self, manifest: Manifest, quoted: re.Pattern[bytes]) -> None:
        self.manifest = manifest
        self.old = manifest.vocabulary.old
        self.keys = frozenset(manifest.python.keys)
        self.attributes = frozenset(manifest.python.attributes)
        self._fields = tuple(f.encode() for f in sorted({*self.keys, *self.attributes}))
        self._status_names: set[str] | None = set()
        self._helper_names: set[str] | None = set()
        self._cls_names: set[str] | None = set()
        self._tables: set[str] | None = set()
        self._pending: tuple[ast.Module, bytes] | None = None
        self._nodes: list[ast.AST] | None = None  # the module's nodes, walked once (see _module_nodes)
        self._typed = False
        self._untied = False
        self._queries = False
        self._scopes: list[tuple[tuple[int, int], dict[str, set[str]]]] | None = None
        self._constant_words: dict[str, set[str]] = {}
        self._validators: dict[str, Validator] | None = None
        self._tested: set[str] | None = None
        self._params: dict[str, list[str]] | None = None
        self.foreign_words = manifest.python.foreign_words
        options = manifest.python.options
        self._declares = frozenset((*options.declare, *options.pickers, *options.wrappers))
        self._pickers, self._wrappers = frozenset(options.pickers), frozenset(options.wrappers)
        self._option_keywords = frozenset((*options.choices, *options.defaults))
        self.foreign_sources = tuple(t.lower() for t in manifest.python.foreign_sources)
        keys = b"|".join(re.escape(k.encode()) for k in sorted(self.keys)) or b"(?!)"
        attributes = b"|".join(re.escape(a.encode()) for a in sorted(self.attributes)) or b"(?!)"
        # The read alone (it starts with punctuation: a fast scan); the name
        # it is made on is looked up right before it.
        self._reads_from = re.compile(
            rb"(?:\[|\.get\()[\"'](?:" + keys + rb")[\"']|\.(?:" + attributes + rb")\b"
        )
        # The engine's prefilter pattern: an old name quoted as a whole literal.
        self._quoted = quoted
        self._word = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, self.old))) + r")\b")
        self._word_bytes = re.compile(self._word.pattern.encode())

    def _old_literal(self, node: ast.AST | None) -> bool:
        return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in self.old

    def _holds_old(self, node: ast.AST | None) -> bool:
        """A literal, a collection or ``set(...)`` of literals, or a dict whose keys hold an old name."""
        if self._old_literal(node):
            return True
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return any(self._old_literal(e) for e in node.elts)
        if isinstance(node, ast.Dict):
            return any(self._old_literal(k) for k in node.keys)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("set", "frozenset"):
            return bool(node.args) and self._holds_old(node.args[0])
        # A union with a literal: `BROKEN | {"done", "killed"}`, `BROKEN.union({"done"})`.
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitOr, ast.Add)):
            return self._holds_old(node.left) or self._holds_old(node.right)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "union":
            return any(self._holds_old(a) for a in (node.func.value, *node.args))
        return False

    def _reads(self, node: ast.AST) -> bool:
        """Could ``node`` be a status: a status read, a name, or either behind
        ``.lower()``/``str()``/``or``/``:=``."""
        if isinstance(node, ast.NamedExpr):
            return self._reads(node.value)
        if isinstance(node, ast.Name):
            # A name is a status when it says so, or when it is bound from a
            # status read (`st = row["status"]`), as the forms judge it.
            return bool(_STATUS_WORD.search(node.id)) or node.id in self._names()
        if isinstance(node, ast.BoolOp):
            return any(self._reads(v) for v in node.values)
        if isinstance(node, ast.Subscript):
            key = node.slice
            if self._queries and isinstance(key, ast.Constant) and type(key.value) is int:
                return True  # row[1] of a query row: the provenance maps it to its column
            return isinstance(key, ast.Constant) and key.value in self.keys
        if isinstance(node, ast.Attribute):
            return node.attr in self.attributes
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _NORMALIZERS:
                return self._reads(func.value)
            if isinstance(func, ast.Name) and func.id in _NORMALIZERS and node.args:
                return self._reads(node.args[0])
            if isinstance(func, ast.Attribute) and func.attr == "get" and node.args:
                first = node.args[0]
                return isinstance(first, ast.Constant) and first.value in self.keys
            if isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) >= 2:
                second = node.args[1]
                return isinstance(second, ast.Constant) and second.value in self.attributes
            if isinstance(func, ast.Call):  # itemgetter("status")(row)
                return _getter_of(func, self.keys, self.attributes)
            column = tables.ast_column(node, self.keys)  # pl.col("status"), pc.cast(table["status"], t)
            if column is not False:
                return column is True or self._reads(column)
            # status_of(r): a helper of the module that returns a status read.
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            return called in self._helpers()
        return False

    def found(self, source: bytes, talks: bool, typed: bool = False, untied: bool = False) -> bool:
        """Whether the module holds a site; True when ``ast`` cannot read it
        (the full analysis then reports why). ``typed``: the project builds a
        class of this module from session rows, so a ``Literal`` typing its
        status counts even where the module does not talk to OpenClaw.
        ``untied``: nothing ties the module to OpenClaw (no session source is
        named in it or reachable from it, no marker): no value in it can come
        from a session source, so a site the provenance would judge to be of
        another vocabulary (see :meth:`_foreign`) is no site."""
        self._typed = typed
        self._untied = untied
        self._queries = _SQL_SELECT.search(source) is not None
        self._scopes = None
        self._validators = None
        self._tested = self._params = None
        self._tested_attrs: set[str] | None = None
        self._counted: set[str] | None = None
        try:
            tree = parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return True
        constants = self._constants(tree.body)
        self._constant_words = {
            t.id: words for statement in tree.body if isinstance(statement, ast.Assign)
            and (words := _words(statement.value)) is not None for t in statement.targets if isinstance(t, ast.Name)
        }
        self._status_names = None
        self._helper_names = self._cls_names = self._tables = None
        self._pending, self._nodes = (tree, source), None
        # A site sits on a line that quotes an old name or names a constant
        # holding one (where the module talks, a message may hold an old word
        # anywhere in a string, even a line of a triple-quoted one: any line
        # that says one): only the nodes spanning such a line are asked.
        lines = _lines_holding(source, self._word_bytes if talks else self._quoted, [n.encode() for n in constants])
        stack: list[ast.AST] = [tree]
        while stack:
            node = stack.pop()
            start = getattr(node, "lineno", None)
            if start is not None and not any(start <= n <= (node.end_lineno or start) for n in lines):  # type: ignore[attr-defined]
                continue
            if self._site(node, constants, talks) and not (self._untied and self._foreign(node)):
                return True
            stack.extend(ast.iter_child_nodes(node))
        return False

    def _counts(self, name: str, talks: bool) -> bool:
        """Whether a lookup of ``name`` at a literal may read a mapping keyed
        by status: in a module that talks to OpenClaw (or imports one that
        does), any mapping; elsewhere one it builds by counting or a dict
        comprehension (``Counter(...)``, ``defaultdict(int)``, ``{k: v for ...}``)."""
        if talks:
            return True
        if self._untied:
            return False
        if self._counted is None:
            assert self._pending is not None
            self._counted = {
                t.id for node in self._module_nodes(ast.Assign) if (
                    isinstance(node.value, ast.DictComp) or isinstance(node.value, ast.Call)
                    and getattr(node.value.func, "id", getattr(node.value.func, "attr", "")) in COUNTERS)
                for t in node.targets if isinstance(t, ast.Name)
            }
        return name in self._counted

    def _offers(self, node: ast.Call, names: set[str]) -> bool:
        """An option or picker given one of ``names`` (read through its module too)."""
        func = node.func
        if (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")) not in self._declares:
            return False
        values = [*node.args, *(k.value for k in node.keywords)]
        return any(isinstance(n, ast.Name) and n.id in names or isinstance(n, ast.Attribute) and n.attr in names
                   for v in values for n in ast.walk(v))

    def _offers_old(self, node: ast.Call, called: str) -> bool:
        """An option's choices or default, a picker's options, a wrapper's
        values holding an old name (not its flags: `add_argument("timeout")`)."""
        keywords = self._option_keywords
        if any(k.arg in keywords and self._holds_old(k.value) for k in node.keywords):
            return True
        at = 1 if called in self._pickers else 0 if called in self._wrappers else None
        return at is not None and len(node.args) > at and self._holds_old(node.args[at])

    # -- sites the provenance would leave alone --------------------------------
    def _foreign(self, node: ast.AST) -> bool:
        """Whether a site is certainly of another vocabulary, as the
        provenance judges a value that comes from no session source: its
        subject is compared, in the same function, with a word of another
        vocabulary (`video.status == "completed" or video.status == "failed"`),
        or it is written to a record a foreign name holds (`job.status = "timeout"`)."""
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            subject, other = node.left, node.comparators[0]
            if isinstance(node.ops[0], (ast.Eq, ast.NotEq)) and _words(subject) is not None:
                subject, other = other, subject  # "done" == s
            if self._foreign_record(_unwrap(subject)):
                return True  # job.status in TERMINAL: a record a foreign name holds
            words = self._compared_words(node, subject)
            if isinstance(other, ast.Name):
                words = words | self._constant_words.get(other.id, set())  # x in ("completed", "timeout")
            return bool(words & self.foreign_words)
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            return all(self._foreign_record(t) or bool(self._compared_words(node, t) & self.foreign_words)
                       for t in targets)
        return False

    def _foreign_record(self, target: ast.AST) -> bool:
        if isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute) and target.func.attr == "get":
            target = target.func  # job.get("status")
        root = target.value if isinstance(target, (ast.Subscript, ast.Attribute)) else None
        return isinstance(root, ast.Name) and foreign_token(root.id, self.foreign_sources) is not None

    def _compared_words(self, site: ast.AST, subject: ast.AST) -> set[str]:
        """The words compared with ``subject`` in the function holding ``site``."""
        if self._scopes is None:
            assert self._pending is not None
            self._scopes = _compared_by_scope(self._pending[0])
        words_by_subject = next((w for span, w in self._scopes if span[0] <= site.lineno <= span[1]), {})  # type: ignore[attr-defined]
        return words_by_subject.get(ast.dump(_unwrap(subject)), set())

    def tests_with(self, source: bytes, names: Iterable[str]) -> bool:
        """Whether the module tests a status with one of ``names`` (constants
        it imports): ``row["status"] in NAME``, ``NAME[row["status"]]``."""
        try:
            tree = parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return True
        wanted = self._unions(tree.body, set(names))
        self._helper_names = self._cls_names = self._tables = None
        self._pending, self._nodes = (tree, source), None
        # `for status in marks.SESSION_STATUSES:`: the name holds one item of it at a time.
        wanted |= {node.target.id for node in self._module_nodes(ast.For, ast.AsyncFor)
                   if isinstance(node.target, ast.Name) and (_module_constant(node.iter, wanted) or (
                       isinstance(node.iter, ast.Name) and node.iter.id in wanted))}
        self._status_names = self._bound_from_status(tree, source)
        self._pending, self._validators, self._tested, self._params = (tree, source), None, None, None
        # Only tests with the names count here: no lookup or option of the module's own.
        self._untied, self._counted = True, set()
        for node in self._module_nodes(ast.Compare, ast.Subscript, ast.Call):
            if self._site(node, wanted, False):
                return True
            if isinstance(node, ast.Call) and self._offers(node, wanted):
                return True  # add_argument("--status", choices=STATUSES), st.multiselect("Status", list(COLOURS))
            test = tables.ast_test(node, tables.MEMBERSHIP | orm.COLUMN_MEMBERSHIP) if isinstance(node, ast.Call) else node
            if isinstance(test, ast.Compare) and _through_module(test, wanted) and self._reads(test.left):
                return True  # row["status"] in settings.ENDED: a constant read through its module
            key = _looked_up_through_module(node, wanted)
            if key is not None and self._reads(key):
                return True  # vocab.COLOURS.get(row["status"]): a table read through its module
        return False

    def status_parameters(self, source: bytes) -> set[str]:
        """Module-level functions that read a status from one of their
        parameters (``def is_dead(row): return row["status"] in ...``)."""
        # Bytes first: a name a status is read from (`row["status"]`,
        # `row.get("status"`, `row.status`) that some `def` line also names.
        roots = set()
        for match in self._reads_from.finditer(source):
            before = _NAME_BEFORE.search(source, max(0, match.start() - 64), match.start())
            if before is not None:
                roots.add(before.group(0))
        params = {w for m in _DEF_LINE.finditer(source) for w in re.findall(rb"\w+", m.group(1))}
        # `def nudge(key, status): ... status == "timeout"`: a parameter that
        # says it holds a status, compared, takes what its callers pass.
        named = {p for p in params if _says_status(p.decode(errors="replace"))}
        # `for row in rows:` or `[r for r in rows if ...]` over a parameter:
        # the loop's name stands for it.
        if not named and not roots & params and not any(
                re.search(rb"\bin[ \t]+" + re.escape(p) + rb"\b", source) for p in params):
            return set()
        try:
            tree = parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return set()
        out: set[str] = set()
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            params = _loop_names(node, {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)})
            for inner in ast.walk(node):
                root = self._read_root(inner)
                if isinstance(root, ast.Name) and root.id in params:
                    out.add(node.name)
                    break
                if isinstance(inner, ast.Compare) and len(inner.ops) == 1 and any(
                        isinstance(side, ast.Name) and side.id in params and _says_status(side.id)
                        for side in (inner.left, inner.comparators[0])):
                    out.add(node.name)
                    break
        return out

    def connected_signals(self, source: bytes) -> dict[str, list[tuple[str, int, str]]]:
        """Module-level functions connected to a signal another module
        defines (``@session_settled.connect`` after ``from .signals import
        session_settled``, ``@receiver(signals.settled)``): each function's
        signals, as ``(module, level, name)`` of their imports."""
        deferred = self.manifest.python.deferred
        if not any(b"." + c.encode() in source for c in deferred.connects) and not any(
                r.encode() + b"(" in source for r in deferred.receivers):
            return {}
        try:
            tree = parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return {}
        names: dict[str, tuple[str, int, str]] = {}  # local name -> where it is imported from
        modules: dict[str, tuple[str, int]] = {}  # `from . import signals` -> the module it names
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    local = alias.asname or alias.name
                    names[local] = (node.module or "", node.level, alias.name)
                    modules[local] = (".".join(p for p in (node.module, alias.name) if p), node.level)

        def imported(node: ast.expr) -> tuple[str, int, str] | None:
            if isinstance(node, ast.Name):
                return names.get(node.id)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
                module, level = modules[node.value.id]
                return module, level, node.attr
            return None

        out: dict[str, list[tuple[str, int, str]]] = {}
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for decorator in node.decorator_list:
                func = decorator.func if isinstance(decorator, ast.Call) else decorator
                given: list[ast.expr] = []
                if isinstance(func, ast.Attribute) and func.attr in deferred.connects:
                    given = [func.value]
                elif isinstance(decorator, ast.Call) and decorator.args and (
                        func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute)
                        else "") in deferred.receivers:
                    first = decorator.args[0]
                    given = list(first.elts) if isinstance(first, (ast.List, ast.Tuple)) else [first]
                for signal in given:
                    found = imported(signal)
                    if found is not None:
                        out.setdefault(node.name, []).append(found)
        return out

    def _names(self) -> set[str]:
        """Names bound from a status read, found on first need."""
        if self._status_names is None:
            assert self._pending is not None
            self._status_names = set()  # while they are found, a name bound from a name is not one
            self._status_names = self._bound_from_status(*self._pending)
        return self._status_names

    def _looked_up(self, node: ast.Assign | ast.AnnAssign) -> bool:
        """Whether a name or attribute a table is bound to is looked up in
        the module with a status (``actions.get(row["status"])``,
        ``self.reactions[row.status]``), as the dispatch form reads a table
        that is no module constant."""
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = {t.id if isinstance(t, ast.Name) else t.attr for t in targets if isinstance(t, (ast.Name, ast.Attribute))}
        if self._tables is None:
            assert self._pending is not None
            self._tables = set()
            for inner in self._module_nodes(ast.Subscript, ast.Call):
                holder, key = None, None
                if isinstance(inner, ast.Subscript):
                    holder, key = inner.value, inner.slice
                elif isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr == "get":
                    holder, key = inner.func.value, inner.args[0] if inner.args else None
                name = holder.id if isinstance(holder, ast.Name) else holder.attr if isinstance(holder, ast.Attribute) else ""
                if name and key is not None and self._reads(key):
                    self._tables.add(name)
        return bool(names & self._tables)

    def tested_methods(self, source: bytes) -> set[str]:
        """``Class.method`` of each method of a module-level class that tests
        one of its parameters (``def should_retry(self, key, status): ...
        status == STOPPED``): what other modules pass it decides what it
        tests, as for a module-level function."""
        if b"class " not in source:
            return set()
        return self._methods(source, lambda method, params: any(
            isinstance(inner, ast.Compare) and len(inner.ops) == 1
            and isinstance(inner.ops[0], (ast.Eq, ast.NotEq, ast.In, ast.NotIn))
            and isinstance(inner.left, ast.Name) and inner.left.id in params for inner in ast.walk(method)))

    @staticmethod
    def _methods(source: bytes, test: Callable[[ast.FunctionDef | ast.AsyncFunctionDef, set[str]], bool]) -> set[str]:
        """``Class.method`` of each method of a module-level class for which
        ``test(method, parameters)`` holds (its parameters but ``self``)."""
        try:
            tree = parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return set()
        out: set[str] = set()
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            for method in node.body:
                if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                params = {a.arg for a in (*method.args.posonlyargs, *method.args.args, *method.args.kwonlyargs)[1:]}
                if test(method, params):
                    out.add(f"{node.name}.{method.name}")
        return out

    def keyed_parameters(self, source: bytes) -> set[str]:
        """Module-level functions that look a parameter up in a module
        constant holding an old name, or test it against one, whatever the
        parameter is called (``def number(name): return BY_NAME.get(name.strip())``):
        what their callers pass decides whether it is a status."""
        if b"def " not in source:
            return set()
        try:
            tree = parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return set()
        constants = self._constants(tree.body)
        if not constants:
            return set()
        out: set[str] = set()
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            params = {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
            for inner in ast.walk(node):
                table: ast.AST | None = None
                key: ast.AST | None = None
                if isinstance(inner, ast.Subscript):
                    table, key = inner.value, inner.slice
                elif isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr == "get" \
                        and inner.args:
                    table, key = inner.func.value, inner.args[0]
                elif isinstance(inner, ast.Compare) and len(inner.ops) == 1 and isinstance(inner.ops[0], (ast.In, ast.NotIn)):
                    table, key = inner.comparators[0], inner.left
                key = _unwrap(key) if key is not None else None
                if isinstance(table, ast.Name) and table.id in constants and isinstance(key, ast.Name) \
                        and key.id in params:
                    out.add(node.name)
                    break
        return out

    def _read_root(self, node: ast.AST) -> ast.AST | None:
        """What ``node`` reads a status from (``row`` of ``row["status"]``,
        ``row.get("status")``, ``row.status``), if it reads one."""
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value in self.keys:
            return node.value
        if isinstance(node, ast.Attribute) and node.attr in self.attributes:
            return node.value
        if (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value in self.keys
        ):
            return node.func.value
        return None

    def reading_methods(self, source: bytes) -> set[str]:
        """``Class.method`` of each method of a module-level class that reads
        a status from one of its parameters, or from the items of one
        (``def show(self, rows): for row in rows: row.get("status")``): what
        other modules pass it decides what it reads, as for a function."""
        if b"class " not in source or self._reads_from.search(source) is None:
            return set()

        def reads(method: ast.FunctionDef | ast.AsyncFunctionDef, params: set[str]) -> bool:
            names = _loop_names(method, params)
            return any(isinstance(r, ast.Name) and r.id in names for r in map(self._read_root, ast.walk(method)))

        return self._methods(source, reads)

    def storing_methods(self, source: bytes) -> set[str]:
        """``Class.method`` of each method of a module-level class that binds
        one of its parameters to a query's placeholders (``self.conn.execute(
        "INSERT ... VALUES (?, ?)", (key, session_status))``): what other
        modules pass it decides what the column stores."""
        if b"class " not in source or b".execute" not in source or b"?" not in source:
            return set()
        return self._methods(source, lambda method, params: any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "execute"
            and len(n.args) >= 2 and isinstance(n.args[1], (ast.Tuple, ast.List))
            and any(isinstance(e, ast.Name) and e.id in params for e in n.args[1].elts)
            for n in ast.walk(method)))

    def building_parameters(self, source: bytes) -> set[str]:
        """Module-level functions that build a class of the module from one
        of their parameters, or from the items of one (``def rows_of(raw):
        return [SessionRow.from_row(r) for r in raw]``): what their callers
        pass decides what the class is built from."""
        if b"class " not in source:
            return set()
        try:
            tree = parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return set()
        classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
        out: set[str] = set()
        for node in tree.body:
            if not classes or not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            names = _loop_names(node, {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)})
            for inner in ast.walk(node):
                if not isinstance(inner, ast.Call):
                    continue
                func = inner.func.value if isinstance(inner.func, ast.Attribute) else inner.func
                if isinstance(func, ast.Name) and func.id in classes and any(
                    isinstance(n, ast.Name) and n.id in names
                    for a in (*inner.args, *(k.value for k in inner.keywords)) for n in ast.walk(a)
                ):
                    out.add(node.name)
                    break
        return out

    def _class_parameters(self) -> set[str]:
        """The names the module's class methods call their class (``cls``)."""
        if self._cls_names is None:
            assert self._pending is not None
            self._cls_names = {
                node.args.args[0].arg for node in self._module_nodes(ast.FunctionDef, ast.AsyncFunctionDef)
                if node.args.args
                and any(isinstance(d, ast.Name) and d.id == "classmethod" for d in node.decorator_list)
            }
        return self._cls_names

    def _helpers(self) -> set[str]:
        """Functions and methods of the module that return a status read
        (``def status_of(row): return str(row.get("status") or "").lower()``),
        found on first need: a call of one reads a status as the provenance
        reads it (see ``Resolver._helper_subject``)."""
        if self._helper_names is None:
            assert self._pending is not None
            tree, source = self._pending
            self._helper_names = set()  # while they are found, a call of one is no read
            if any(f in source for f in self._fields):
                self._helper_names = self._returning_status(tree)
        return self._helper_names

    def _returning_status(self, tree: ast.Module) -> set[str]:
        functions = [
            f for node in tree.body for f in ([node] if not isinstance(node, ast.ClassDef) else node.body)
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
        ]
        # `status_of = itemgetter("status")`: a call of it reads the status too.
        out = {t.id for node in tree.body if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
               and _getter_of(node.value, self.keys, self.attributes) for t in node.targets if isinstance(t, ast.Name)}
        for _ in range(4):  # a helper returning another's call: the steps the provenance follows
            self._helper_names = set(out)
            found = {
                f.name for f in functions
                if any(isinstance(n, ast.Return) and n.value is not None and self._reads(n.value) for n in ast.walk(f))
            }
            if found <= out:
                break
            out |= found
        return out

    def _bound_from_status(self, tree: ast.Module, source: bytes) -> set[str]:
        """Names bound from a status read, or from such a name, up to the
        four steps the provenance follows (``st = row["status"]``, ``s = st``)."""
        out: set[str] = set()
        if not any(f in source for f in self._fields):
            return out
        assert self._pending is not None and self._pending[0] is tree  # the module asked of
        bindings = [
            (node.targets if isinstance(node, ast.Assign) else [node.target], node.value)
            for node in self._module_nodes(ast.Assign, ast.AnnAssign, ast.NamedExpr)
            if node.value is not None
        ]
        for _ in range(4):
            self._status_names = set(out)
            found = {t.id for targets, value in bindings if self._reads(value) for t in targets if isinstance(t, ast.Name)}
            if found <= out:
                break
            out |= found
        self._status_names = set(out)
        return out | self._given_reads(tree) | self._field_validated(tree)

    def _field_validated(self, tree: ast.Module) -> set[str]:
        """The value parameters of the module's field validators of a status
        field (``@field_validator("status") def tidy(cls, v)``): what the
        provenance reads as the class's status (see Subjects._validated)."""
        validators = self.manifest.python.field_validators
        out: set[str] = set()
        for cls in tree.body:
            if not isinstance(cls, ast.ClassDef):
                continue
            for node in cls.body:
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or len(node.args.args) < 2:
                    continue
                for decorator in node.decorator_list:
                    if not isinstance(decorator, ast.Call):
                        continue
                    func = decorator.func
                    called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                    if called in validators and any(
                            isinstance(a, ast.Constant) and a.value in self.attributes for a in decorator.args):
                        out.add(node.args.args[1].arg)
        return out

    def _given_reads(self, tree: ast.Module) -> set[str]:
        """Parameters of the module's functions that one of its calls passes
        a status read (``number(row.get("status"))`` for ``def number(name)``),
        whatever their names: the forms judge what every call passes."""
        functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        out: set[str] = set()
        if not functions:
            return out
        for node in self._module_nodes(ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in functions:
                continue
            function = functions[node.func.id]
            params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
            out |= {params[i] for i, arg in enumerate(node.args[:len(params)]) if self._reads(arg)}
            out |= {k.arg for k in node.keywords if k.arg is not None and self._reads(k.value)}
        return out

    def _constants(self, body: Iterable[ast.stmt]) -> set[str]:
        """Module-level names bound to a collection or table holding an old
        name, and unions of them."""
        body = list(body)
        out: set[str] = set()
        for statement in body:
            value = getattr(statement, "value", None)
            if isinstance(statement, (ast.Assign, ast.AnnAssign)) and self._holds_old(value):
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                out |= {t.id for t in targets if isinstance(t, ast.Name)}
        return self._unions(body, out)

    @staticmethod
    def _unions(body: Iterable[ast.stmt], names: set[str]) -> set[str]:
        """``names`` and the module-level names bound to an expression of
        them (``ALL = DONE_STATES | FAIL_STATES``, ``{*A, *B}``)."""
        out = set(names)
        for statement in body:
            value = getattr(statement, "value", None)
            if not isinstance(statement, (ast.Assign, ast.AnnAssign)) or not isinstance(
                value, (ast.BinOp, ast.Set, ast.Tuple, ast.List, ast.Call)
            ):
                continue
            if any(isinstance(n, ast.Name) and n.id in out for n in ast.walk(value)):
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                out |= {t.id for t in targets if isinstance(t, ast.Name)}
        return out

    def _site(self, node: ast.AST, constants: set[str], talks: bool) -> bool:
        if self._held_site(node, constants, talks) or self._held_field_site(node, constants) or self._rebound(node):
            return True
        if isinstance(node, ast.For) and isinstance(node.target, ast.Tuple) and isinstance(node.iter, (ast.List, ast.Tuple)):
            # for status, colour in [("done", "green"), ...]: an item compared with a status read
            names = {t.id for t in node.target.elts if isinstance(t, ast.Name)}
            rows = node.iter.elts
            return any(self._holds_old(r) for r in rows) and bool(names & self._compared_names())
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1 or not isinstance(node.ops[0], (ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
                return False
            left, right = node.left, node.comparators[0]
            # `x in ("done", ...)`: the subject stands left of `in`; either side of `==`.
            pairs = [(left, right)] if isinstance(node.ops[0], (ast.In, ast.NotIn)) else [(left, right), (right, left)]
            for subject, other in pairs:
                named = isinstance(other, ast.Name) and other.id in constants or isinstance(
                    other, (ast.Tuple, ast.List, ast.Set)) and any(  # (SessionStatus.DONE, "agent_responded")
                    _module_constant(e, constants) for e in other.elts)
                if (self._holds_old(other) or named) and self._reads(subject):
                    return True
            return False
        if isinstance(node, ast.match_case):
            return any(self._old_literal(n) for n in ast.walk(node.pattern))
        if isinstance(node, ast.Subscript):
            value = node.value
            if isinstance(value, ast.Dict) and self._holds_old(value):
                return self._reads(node.slice)  # {...}[status]
            key = node.slice
            if isinstance(value, ast.Name) and value.id in constants and not isinstance(key, ast.Constant):
                return self._reads(key)  # TABLE[status]
            if isinstance(value, ast.Name) and self._old_literal(key) and self._counts(value.id, talks):
                return True  # by_status["failed"]: a mapping keyed by status, read at one
            # A Literal[...] or an enum counts only where the project talks to
            # OpenClaw: their names are no evidence by themselves.
            name = value.attr if isinstance(value, ast.Attribute) else getattr(value, "id", "")
            return (talks or self._typed) and name == "Literal" and any(self._old_literal(n) for n in ast.walk(node.slice))
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in self._declares and not self._untied and self._offers_old(node, called):
                return True  # add_argument("--status", choices=["done", ...]), click.Choice([...])
            test = tables.ast_test(node, tables.MEMBERSHIP | orm.COLUMN_MEMBERSHIP)
            if test is not None and self._site(test, constants, talks):
                return True  # df["status"].isin([...]), pc.equal(col, "done")
            if isinstance(func, ast.Attribute):
                table = (isinstance(func.value, ast.Dict) and self._holds_old(func.value)) or (
                    isinstance(func.value, ast.Name) and func.value.id in constants
                )
                if func.attr == "get" and node.args and (
                    (table and self._reads(node.args[0]))
                    or (self._reads(node) and any(self._old_literal(a) for a in node.args[1:2]))
                ):
                    return True  # {...}.get(status), TABLE.get(status), row.get("status", "done")
                if func.attr == "get" and node.args and isinstance(func.value, ast.Name) \
                        and self._old_literal(node.args[0]) and self._counts(func.value.id, talks):
                    return True  # by_status.get("failed", 0)
                if func.attr in ("update", "setdefault"):
                    return any(k.arg in self.keys and self._old_literal(k.value) for k in node.keywords)
            if self._validated(node, constants):
                return True  # one_of(row["status"], {"done", ...})
            if self._copied(node):
                return True  # attrs.evolve(row, status="killed"), dc_replace(row, status="killed")
            if self._given_like_reads(node):
                return True  # self._emit(key, "killed") beside self._emit(key, row.get("status"))
            if isinstance(func, ast.Attribute) and func.attr == "execute" and len(node.args) >= 2 and (
                self._holds_old(node.args[1])
                or any(isinstance(n, ast.Name) and n.id in constants for n in ast.walk(node.args[1]))
            ):
                return True  # con.execute("... WHERE status IN (?, ?)", ("failed", "timeout"))
            if orm.lookup_site(node, self.keys | self.attributes, self._holds_old):
                return True  # Mirror.objects.filter(status="killed"), status__in=[...]
            if orm.column_site(node, self.keys | self.attributes, self._holds_old, constants):
                return True  # Row.status.in_([...]), filter_by(status="done"), .values(status="failed")
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            # SessionRow(key, "killed"), cls(key, "killed"): a constructor given a status
            if name[:1].isupper() or (isinstance(func, ast.Name) and name in self._class_parameters()):
                return any(self._old_literal(a) for a in node.args) or any(
                    self._old_literal(k.value) for k in node.keywords
                )
            return False
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            if isinstance(node.value, ast.Dict) and not isinstance(node, ast.AugAssign) and self._holds_old(node.value):
                return self._looked_up(node)  # actions = {...}, self.reactions = {...}
            if not self._old_literal(node.value):
                return False
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            # entry["status"] = "killed", self.status = "done"
            return any(isinstance(t, (ast.Subscript, ast.Attribute)) and self._reads(t) for t in targets)
        if isinstance(node, ast.ClassDef):
            # Enum members: DONE = "done" in a class body, where the module
            # talks or the project builds one of its classes from session statuses.
            # A Django choice's value stands first in its `value, label` tuple.
            return (talks or self._typed) and any(isinstance(s, ast.Assign) and (self._old_literal(s.value) or (
                isinstance(s.value, ast.Tuple) and bool(s.value.elts) and self._old_literal(s.value.elts[0])))
                for s in node.body)
        if isinstance(node, ast.Dict):
            return any(
                isinstance(k, ast.Constant) and (k.value in self.keys and self._old_literal(v) or k.value == "enum"
                                                 and self._fills(v, constants))  # a tool parameter's JSON-schema enum
                for k, v in zip(node.keys, node.values)
            )
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            return any(self._old_literal(v) for v in node.values) and any(self._reads(v) for v in node.values)
        if not talks:
            return False
        if isinstance(node, ast.Return):
            returned = node.value
            if isinstance(returned, ast.IfExp):
                return self._old_literal(returned.body) or self._old_literal(returned.orelse)
            return self._old_literal(returned)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value not in self.old:
            return len(node.value) < 2000 and bool(self._word.search(node.value))
        return False


    # -- collections a status is tested in through a name ----------------------
    def _held_site(self, node: ast.AST, constants: set[str], talks: bool) -> bool:
        """A collection of old names (or a constant holding one) that fills a
        name a status is tested in (``bad = set(BROKEN)``, ``bad.add("killed")``,
        ``bad |= {...}``, a call passing it, ``choices=[...]`` of an option), as
        :mod:`codemods.members` follows it. Generous: the names are matched
        by spelling, the forms decide."""
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            # A module constant is a site where it is tested (the compare).
            names = {t.id for t in targets if isinstance(t, ast.Name)} - constants
            if not names:
                return False
            # A field's default (`retry_on: tuple = field(default=RETRYABLE)`),
            # tested as `self.retry_on`, is held there too. (The cheap tests
            # first: most assignments fill no tested name.)
            if not names & (self._tested_names() | self._tested_attributes()):
                return False
            if self._untied and (_words(node.value) or set()) & self.foreign_words:
                return False  # another vocabulary's collection, where nothing ties the module to OpenClaw
            return self._fills(node.value, constants)
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        arguments = [*node.args, *(k.value for k in node.keywords)]
        if isinstance(func, ast.Attribute) and func.attr in ("add", "append", "update", "extend"):
            receiver = func.value
            return (isinstance(receiver, ast.Name) and receiver.id in self._tested_names()
                    and any(self._fills(a, constants) for a in node.args))
        if isinstance(func, ast.Attribute) and func.attr == "add_argument":
            # An option's value may become any tested name (`set(args.only or DEAD)`).
            filled = any(k.arg in ("choices", "default") and self._fills(k.value, constants) for k in node.keywords)
            return filled and bool(self._tested_names())
        # prune(store, DEAD): a module function whose parameter is tested, or,
        # where the module talks to OpenClaw, a function of another module
        # (the tree knows whether it tests it).
        if isinstance(func, (ast.Name, ast.Attribute)) and any(self._fills(a, constants) for a in arguments):
            local = isinstance(func, ast.Name) and func.id in self._module_functions()
            return talks and not local or isinstance(func, ast.Name) and func.id in self._testing_functions()
        return False

    def _rebound(self, node: ast.AST) -> bool:
        """``st = "killed"`` where ``st`` is also bound from a status read
        (``st = row.get("status")``): a write of the status it holds."""
        return isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
            and self._old_literal(node.value) and node.targets[0].id in self._names()

    def _held_field_site(self, node: ast.AST, constants: set[str]) -> bool:
        """``Policy(delays={"failed": 30.0})``: a class of the module given, by
        keyword, old names for a field a method tests something in
        (``row.get("status") in self.delays``), as :mod:`codemods.members`
        follows a field to what builds the object."""
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name) or not node.keywords:
            return False
        assert self._pending is not None
        if not any(isinstance(n, ast.ClassDef) and n.name == node.func.id for n in self._pending[0].body):
            return False
        filled = {k.arg for k in node.keywords if k.arg is not None and self._fills(k.value, constants)}
        return bool(filled) and any(
            isinstance(n, ast.Compare) and len(n.ops) == 1 and isinstance(n.ops[0], (ast.In, ast.NotIn))
            and isinstance(n.comparators[0], ast.Attribute) and n.comparators[0].attr in filled
            for n in self._module_nodes(ast.Compare))

    def _tested_attributes(self) -> set[str]:
        """Attributes something is tested for membership in (``st in self.retry_on``)."""
        if self._tested_attrs is None:
            assert self._pending is not None
            self._tested_attrs = {
                n.comparators[0].attr for n in self._module_nodes(ast.Compare)
                if len(n.ops) == 1 and isinstance(n.ops[0], (ast.In, ast.NotIn))
                and isinstance(n.comparators[0], ast.Attribute) and isinstance(n.comparators[0].value, ast.Name)
            }
        return self._tested_attrs

    def _given_like_reads(self, node: ast.Call) -> bool:
        """An old name passed where another call of the same function (a
        name, or a method of ``self``) passes a status read: that parameter
        holds session statuses when the read does (see status-passed-value)."""
        def callee(call: ast.Call) -> str:
            func = call.func
            if isinstance(func, ast.Name):
                return func.id
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
                return "self." + func.attr
            return ""

        name = callee(node)
        places: list[int | str] = [i for i, a in enumerate(node.args) if self._old_literal(a)]
        places += [k.arg for k in node.keywords if k.arg and self._old_literal(k.value)]
        if not name or not places:
            return False
        for other in self._module_nodes(ast.Call):
            if other is node or callee(other) != name:
                continue
            given: dict[int | str, ast.expr] = {**dict(enumerate(other.args)),
                                                **{k.arg: k.value for k in other.keywords if k.arg}}
            if any(p in given and not isinstance(given[p], ast.Constant) and self._reads(given[p]) for p in places):
                return True
        return False

    def _module_functions(self) -> dict[str, list[str]]:
        if self._params is None:
            assert self._pending is not None
            self._params = _functions(self._pending[0])
        return self._params

    def _module_nodes(self, *types: type[ast.AST]) -> list[Any]:
        """The module's nodes of ``types``, in ``ast.walk`` order: the module
        is walked once, however many questions are asked of it."""
        if self._nodes is None:
            assert self._pending is not None
            self._nodes = list(ast.walk(self._pending[0]))
            self._by_type: dict[tuple[type[ast.AST], ...], list[Any]] = {}
        found = self._by_type.get(types)
        if found is None:
            found = self._by_type[types] = [n for n in self._nodes if isinstance(n, types)]
        return found

    def _fills(self, value: ast.AST, constants: set[str]) -> bool:
        return self._holds_old(value) or any(isinstance(n, ast.Name) and n.id in constants for n in ast.walk(value))

    def _tested_names(self) -> set[str]:
        """Names a status read is tested for membership in (``st not in
        wanted``), and the names the module's calls pass for such a
        parameter, a few calls out."""
        if self._tested is None:
            assert self._pending is not None
            tree = self._pending[0]
            self._tested = set()
            for node in self._module_nodes(ast.Compare):
                if (len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn))
                        and isinstance(node.comparators[0], ast.Name) and self._reads(node.left)):
                    self._tested.add(node.comparators[0].id)
            if self._tested:
                functions = self._module_functions()
                calls = self._module_nodes(ast.Call)
                for _ in range(3):
                    found = set(self._tested)
                    for call in calls:
                        params = _parameters(call.func, functions)
                        for index, arg in enumerate(call.args):
                            if isinstance(arg, ast.Name) and index < len(params) and params[index] in self._tested:
                                found.add(arg.id)
                        for keyword in call.keywords:
                            if isinstance(keyword.value, ast.Name) and keyword.arg in self._tested:
                                found.add(keyword.value.id)
                    if found == self._tested:
                        break
                    self._tested = found
        return self._tested

    def _testing_functions(self) -> set[str]:
        """The module's functions with a parameter a status is tested in, or
        compared with (``r["status"] == status``, ``execute(sql, (status,))``:
        what a call passes for it is one status, see status-passed-value)."""
        tested = self._tested_names() | self._compared_names()
        if not tested:
            return set()
        assert self._pending is not None
        return {name for name, params in self._module_functions().items() if set(params) & tested}

    def _compared_names(self) -> set[str]:
        assert self._pending is not None
        out: set[str] = set()
        for node in self._module_nodes(ast.Compare, ast.Call):
            if (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq))
                    and isinstance(node.comparators[0], ast.Name) and self._reads(node.left)):
                out.add(node.comparators[0].id)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "execute" and len(node.args) >= 2):
                bound = node.args[1]
                if isinstance(bound, (ast.Tuple, ast.List)):
                    out |= {e.id for e in bound.elts if isinstance(e, ast.Name)}
                elif isinstance(bound, ast.Name):
                    out.add(bound.id)  # execute(sql, wanted): the collection is the parameters
                elif (isinstance(bound, ast.Call) and isinstance(bound.func, ast.Name)
                        and bound.func.id in ("tuple", "list") and len(bound.args) == 1
                        and isinstance(bound.args[0], ast.Name)):
                    out.add(bound.args[0].id)  # execute(sql, tuple(wanted))
        return out
    def _copied(self, node: ast.Call) -> bool:
        """A copy of a record given an old name for its status by keyword
        (``evolve(row, status="killed")``, ``row._replace(status=...)``,
        ``dc_replace(row, ...)`` of ``from dataclasses import replace as
        dc_replace``); the forms ask what is copied. The ``update={...}`` of
        ``model_copy`` is a dict site."""
        if not any(k.arg in self.attributes and self._old_literal(k.value) for k in node.keywords):
            return False
        func = node.func
        if isinstance(func, ast.Attribute):
            return func.attr in _COPY_NAMES
        if not (isinstance(func, ast.Name) and node.args):
            return False
        assert self._pending is not None
        return func.id in _COPY_NAMES or any(
            isinstance(s, ast.ImportFrom) and (s.module or "").split(".", 1)[0] in COPIER_MODULES
            and any((a.asname or a.name) == func.id for a in s.names)
            for s in self._module_nodes(ast.ImportFrom)
        )

    def _validated(self, node: ast.Call, constants: set[str]) -> bool:
        """A call that may test a status for membership in a collection of
        old names through a helper: a status read passed before a collection
        (or a constant) holding one. A function of this module counts only
        when it does test one parameter in another; one defined elsewhere may
        (the provenance asks the tree)."""
        arguments = [*node.args, *(k.value for k in node.keywords)]
        holds = [i for i, a in enumerate(arguments) if self._holds_old(a) or isinstance(a, ast.Name) and a.id in constants]
        if not holds or not any(self._reads(a) for a in arguments[: max(holds)]):
            return False
        if isinstance(node.func, ast.Name):
            assert self._pending is not None
            local = {s.name for s in self._pending[0].body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
            if node.func.id in local:
                if self._validators is None:
                    self._validators = validating_helpers(self._pending[0])
                return node.func.id in self._validators
        return True


def _says_status(name: str) -> bool:
    """Whether a name says it holds a status (``status``, ``run_state``), as
    the provenance asks of a parameter before its callers speak for it."""
    return bool({"status", "state"} & set(words_of(name)))


def _loop_names(function: ast.AST, names: set[str]) -> set[str]:
    """``names`` (a function's parameters) and the names of the loops and
    comprehensions over them, which stand for their items."""
    names = set(names)
    for inner in ast.walk(function):
        loops = [(g.target, g.iter) for g in inner.generators] if isinstance(
            inner, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)) else []
        if isinstance(inner, (ast.For, ast.AsyncFor)):
            loops.append((inner.target, inner.iter))
        for target, iterable in loops:
            if any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(iterable)):
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def _through_module(node: ast.Compare, modules: set[str]) -> bool:
    """A test with a module's constant read through the module
    (``in settings.ENDED``, ``== pkg.settings.STOPPED``), one of ``modules``
    the name (or a dotted part) it is imported as."""
    if len(node.ops) != 1 or not isinstance(node.ops[0], (ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
        return False
    return _module_constant(node.comparators[0], modules)


def _looked_up_through_module(node: ast.AST, modules: set[str]) -> ast.expr | None:
    """The key of a lookup of a module's table read through the module
    (``vocab.COLOURS[status]``, ``vocab.COLOURS.get(status)``)."""
    if isinstance(node, ast.Subscript) and _module_constant(node.value, modules):
        return node.slice
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
            and node.args and _module_constant(node.func.value, modules):
        return node.args[0]
    return None


def _module_constant(other: ast.expr, modules: set[str]) -> bool:
    """Whether ``other`` is a constant read through a module, one of
    ``modules``, or the ``.value`` of one (an enum's member)."""
    if isinstance(other, ast.Attribute) and other.attr == "value" and isinstance(other.value, ast.Attribute):
        other = other.value
    if not isinstance(other, ast.Attribute) or not other.attr.isupper():
        return False
    holder = other.value
    while isinstance(holder, ast.Attribute):
        if holder.attr in modules:
            return True
        holder = holder.value
    return isinstance(holder, ast.Name) and holder.id in modules


def validating_helpers(tree: ast.Module) -> dict[str, Validator]:
    """The module-level functions that test one of their parameters for
    membership in another (``value in allowed``, ``value not in allowed``,
    ``str(value).lower() in allowed``), anywhere in their body."""
    out: dict[str, Validator] = {}
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        positional = tuple(a.arg for a in (*node.args.posonlyargs, *node.args.args))
        params = {*positional, *(a.arg for a in node.args.kwonlyargs)}
        pairs: dict[tuple[str, str], None] = {}
        for inner in ast.walk(node):
            if isinstance(inner, ast.Compare) and len(inner.ops) == 1 and isinstance(inner.ops[0], (ast.In, ast.NotIn)):
                tested, collection = _unwrap(inner.left), inner.comparators[0]
                if (
                    isinstance(tested, ast.Name) and isinstance(collection, ast.Name)
                    and tested.id in params and collection.id in params and tested.id != collection.id
                ):
                    pairs[(tested.id, collection.id)] = None
        if pairs:
            out[node.name] = (positional, tuple(pairs))
    return out


def _functions(tree: ast.Module) -> dict[str, list[str]]:
    """Each function's (and method's) parameters, by name."""
    return {
        node.name: [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
        for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def _parameters(func: ast.AST, functions: dict[str, list[str]]) -> list[str]:
    """The positional parameters a call of ``func`` fills (``self`` left out for ``obj.method(...)``)."""
    if isinstance(func, ast.Name):
        return functions.get(func.id, [])
    if isinstance(func, ast.Attribute):
        return functions.get(func.attr, [])[1:]
    return []


def _lines_holding(source: bytes, pattern: re.Pattern[bytes], names: Iterable[bytes]) -> set[int]:
    """The numbers of the lines where ``pattern`` or one of ``names`` occurs
    (one scan of the file each, not one per line)."""
    starts = [m.start() for m in pattern.finditer(source)]
    for name in names:
        at = source.find(name)
        while at != -1:
            starts.append(at)
            at = source.find(name, at + 1)
    lines: set[int] = set()
    line, counted = 1, 0
    for start in sorted(starts):
        line += source.count(b"\n", counted, start)
        counted = start
        lines.add(line)
    return lines


def _unwrap(node: ast.AST) -> ast.AST:
    """A compared value under ``.lower()``/``.strip()``/``str()`` and an
    ``or`` fallback (``status or ""``)."""
    while True:
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            node = node.values[0]
            continue
        if not isinstance(node, ast.Call):
            return node
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _NORMALIZERS and not node.args:
            node = func.value
        elif isinstance(func, ast.Name) and func.id == "str" and len(node.args) == 1:
            node = node.args[0]
        else:
            return node


def _words(node: ast.AST) -> set[str] | None:
    """The strings of a string literal or a collection of them, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        out: set[str] = set()
        for element in node.elts:
            if not (isinstance(element, ast.Constant) and isinstance(element.value, str)):
                return None
            out.add(element.value)
        return out
    return None


def _compared_by_scope(tree: ast.Module) -> list[tuple[tuple[int, int], dict[str, set[str]]]]:
    """Per function (innermost first; the module last), the words each
    subject is compared with or assigned there."""
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))]
    spans = sorted(((f.lineno, f.end_lineno or f.lineno) for f in functions), key=lambda s: s[1] - s[0])
    scopes: list[tuple[tuple[int, int], dict[str, set[str]]]] = [(span, {}) for span in spans]
    scopes.append(((0, 1 << 30), {}))

    def add(at: int, subject: ast.AST, words: set[str]) -> None:
        table = next(t for span, t in scopes if span[0] <= at <= span[1])
        table.setdefault(ast.dump(_unwrap(subject)), set()).update(words)

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = node.left, node.comparators[0]
            if isinstance(node.ops[0], (ast.Eq, ast.NotEq)) and _words(left) is not None:
                left, right = right, left
            words = _words(right)
            if words is not None:
                add(node.lineno, left, words)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                add(node.lineno, target, {node.value.value})
    return scopes


def quoted_tokens(source: bytes, tokens: Iterable[str]) -> set[str] | None:
    """Which of ``tokens`` (lowercase) occur, in any case, inside a string of
    the module that is not a bare expression statement (a docstring is
    prose), as the codemod's own evidence counts a token no identifier can
    hold (`sessions.list`); None when the stdlib parser refuses the source.
    Generous where the codemod is strict: any length, f-string parts too."""
    try:
        tree = parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    wanted = set(tokens)
    bare = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)) and id(node) not in bare:
            text = node.value if isinstance(node.value, str) else node.value.decode("latin-1")
            low = text.lower()
            found |= {t for t in wanted - found if t in low}
            if found == wanted:
                break
    return found


def _getter_of(call: ast.Call, keys: Iterable[str], attributes: Iterable[str]) -> bool:
    """Whether ``call`` is ``itemgetter(KEY)`` / ``attrgetter(ATTR)`` (of
    ``operator``) of the status field: what it returns reads the status."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    if name not in ("itemgetter", "attrgetter") or len(call.args) != 1 or call.keywords:
        return False
    arg = call.args[0]
    fields = keys if name == "itemgetter" else attributes
    return isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value in fields
