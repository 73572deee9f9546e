"""What a collection tested for membership holds, where it is no literal
written in the test and no module constant named there.

``row.get("status") in bad`` tests whatever reaches ``bad``: a literal a
local is bound to (``bad = ("failed", "timeout")``), a constant it copies or
falls back to (``bad = set(BROKEN)``, ``set(args.only or DEAD)``), literals
that grow it in place (``bad.add("killed")``, ``bad |= {...}``), what every
call of the function passes for it when it is a parameter (joined over the
module's call sites, as :meth:`Resolver._param_origin` joins a parameter's
origin), and the ``choices`` (and ``default``) of a command-line option whose
value (``args.only``) flows into it. Each is a :class:`Member`; the form that
rewrites them is :mod:`codemods.forms.held_collection`, and constants among
them are judged by the constant form, as a test naming them would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import libcst as cst

from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Scope, _argument, collection_elements

# Calls whose result holds what their one argument holds.
_COPIES = frozenset({"set", "frozenset", "tuple", "list", "sorted"})
# Methods that grow a collection in place: by one element, or by many.
GROW_ONE = {"add": "update", "append": "extend"}
GROW_MANY = {"update": "add", "extend": "append"}
# Methods whose result holds what the receiver and the arguments hold.
_COMBINE = frozenset({"union", "copy", "difference", "intersection", "symmetric_difference"})
_PARSE = frozenset({"parse_args", "parse_known_args", "parse_intermixed_args", "parse_known_intermixed_args"})
_GROUPS = frozenset({"add_argument_group", "add_mutually_exclusive_group"})
# Decorators that declare a command's parameter (Click, and Typer's Click core).
_DECLARERS = frozenset({"option", "argument"})
_DEPTH = 10
# What declares a field with its default: dataclasses.field, attrs.field / attr.ib, pydantic.Field.
_FIELDS = frozenset({"field", "ib", "attrib", "Field"})


@dataclass(frozen=True)
class Member:
    """One part of what a tested collection holds.

    ``kind``: ``collection`` (a literal tuple, list or set, or ``set(...)`` of
    one), ``grown`` (a call that grows it: ``bad.add("killed")``,
    ``bad.update({...})``), ``constant`` (a module constant, or a union of
    constants, named at ``node``) or ``imported`` (a name imported from
    another module, named at ``node``). ``via`` says how it reaches the test."""

    kind: str
    node: cst.CSTNode
    name: str = ""
    via: str = ""


class Members:
    """Resolves what reaches a tested collection, over one module's facts."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.facts = resolver.facts
        # The parameters of module-level functions the last :meth:`of` went
        # through: what other modules pass them reaches the test too.
        self.parameters: list[tuple[cst.FunctionDef, str]] = []
        # The same for the classes whose constructor the last :meth:`of` went
        # through (``self.targets = tuple(targets)`` in ``__init__``), by
        # class name: what other modules pass ``Class(targets=...)``.
        self.constructor_parameters: list[tuple[str, cst.FunctionDef, str]] = []
        # Calls of a method on a plain name, by that name (``bad.add(...)``,
        # ``p.add_argument(...)``): indexed once, asked per tested name.
        self._on_name: dict[str, list[tuple[cst.Call, Scope]]] | None = None

    def _calls_on(self, name: str) -> list[tuple[cst.Call, Scope]]:
        if self._on_name is None:
            self._on_name = {}
            for call, scope in self.facts.all_calls:
                func = call.func
                if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
                    self._on_name.setdefault(func.value.value, []).append((call, scope))
        return self._on_name.get(name, [])

    def of(self, node: cst.BaseExpression, scope: Scope) -> list[Member]:
        """Every member that reaches ``node`` (made in ``scope``); empty when none is known."""
        out: list[Member] = []
        self.parameters = []
        self.constructor_parameters = []
        self._expression(node, scope, out, set(), 0, "")
        unique: dict[int, Member] = {}
        for member in out:
            unique.setdefault(id(member.node), member)
        return list(unique.values())

    def words(self, member: Member) -> list[str]:
        """The strings a member holds (a constant's are its literal's)."""
        if member.kind == "constant":
            assert isinstance(member.node, cst.Name)
            constant = self.resolver.module_constant(member.node, self.facts.module_scope or _scope_of(self))
            return (self.resolver.literal_words(constant[1]) or []) if constant is not None else []
        return [string_value(x) or "" for x in literals_of(member)]

    # -- expressions -----------------------------------------------------
    def _expression(
        self, node: cst.BaseExpression, scope: Scope, out: list[Member], seen: set[tuple[int, str]], depth: int,
        via: str,
    ) -> None:
        if depth > _DEPTH:
            return
        if _string_keyed(node):
            # A dict tested with `in` tests its keys: `row.get("status") in self.delays`.
            out.append(Member("table", node, via=via))
            return
        elements = collection_elements(node)
        if elements is not None:
            if elements and all(isinstance(e, cst.Element) and string_value(e.value) is not None for e in elements):
                out.append(Member("collection", node, via=via))
            elif isinstance(node, (cst.Tuple, cst.List, cst.Set)):
                self._spread(node, elements, scope, out, seen, depth + 1, via)
            return
        step = depth + 1
        if isinstance(node, cst.Name):
            self._name(node, scope, out, seen, step, via)
        elif isinstance(node, (cst.BooleanOperation, cst.BinaryOperation)):
            # `x or DEFAULT`, `A | B`, `A - {"done"}`: both sides are tested
            # (a name removed must change with the name it removes).
            self._expression(node.left, scope, out, seen, step, via)
            self._expression(node.right, scope, out, seen, step, via)
        elif isinstance(node, cst.IfExp):
            self._expression(node.body, scope, out, seen, step, via)
            self._expression(node.orelse, scope, out, seen, step, via)
        elif isinstance(node, cst.Call):
            func = node.func
            args = [a.value for a in node.args if not a.star and a.keyword is None]
            if isinstance(func, cst.Name) and func.value in _COPIES and len(node.args) == 1 and args:
                if scope.owner_of(func.value) is None:  # the builtin, not a name of the module
                    self._expression(args[0], scope, out, seen, step, via)
            elif isinstance(func, cst.Attribute) and func.attr.value in _COMBINE:
                for part in (func.value, *args):
                    self._expression(part, scope, out, seen, step, via)
            elif isinstance(func, cst.Attribute) and func.attr.value == "get" and len(node.args) == 2 \
                    and len(args) == 2 and string_value(args[0]) is not None:
                # `raw.get("restartOn", DEFAULT)`: the default when the key is missing.
                self._expression(args[1], scope, out, seen, step, via)
        elif isinstance(node, cst.Attribute):
            self._option(node, scope, out, seen, step, via)
            self._field(node, scope, out, seen, step, via)

    def _spread(
        self, node: cst.BaseExpression, elements: Sequence[cst.BaseElement], scope: Scope, out: list[Member],
        seen: set[tuple[int, str]], depth: int, via: str,
    ) -> None:
        """``(*restart_on, "killed")``: what each spread name holds, and the
        literals written beside them (edited as the collection's own)."""
        plain = [e for e in elements if isinstance(e, cst.Element)]
        spread = [e for e in elements if isinstance(e, cst.StarredElement)]
        if not spread or not all(string_value(e.value) is not None for e in plain):
            return  # a collection of other values: no collection of names
        if plain:
            out.append(Member("collection", node, via=via))
        for element in spread:
            self._expression(element.value, scope, out, seen, depth, via)

    def _name(
        self, node: cst.Name, scope: Scope, out: list[Member], seen: set[tuple[int, str]], depth: int, via: str
    ) -> None:
        name = node.value
        owner = scope.owner_of(name)
        if owner is None:
            return
        if owner is self.facts.module_scope:
            # Each mention of a constant is a use of it (leaves: never "seen").
            if self.resolver.module_constant(node, scope) is not None or self.resolver.union_constant(node, scope):
                out.append(Member("constant", node, name, via))
                return
            if name in self.facts.imported_names:
                out.append(Member("imported", node, name, via))
                return
        if (id(owner), name) in seen:
            return
        seen.add((id(owner), name))
        for binding in owner.bindings[name]:
            if binding.kind in ("assign", "walrus") and binding.value is not None and binding.index is None:
                self._expression(binding.value, owner, out, seen, depth, via)
            elif binding.kind == "param" and isinstance(owner.node, cst.FunctionDef):
                if self.facts.functions.get(owner.node.name.value) is owner.node:
                    self.parameters.append((owner.node, name))
                cls = _constructed(self.facts, owner.node)
                if cls is not None:
                    self.constructor_parameters.append((cls, owner.node, name))
                if binding.value is not None:  # the default, read where the function is defined
                    self._expression(binding.value, owner.parent or owner, out, seen, depth, via)
                self._passed(owner, name, out, seen, depth, via)
                self._declared(owner, name, out, seen, depth, via)
        self._grown(owner, name, out, seen, depth, via)

    def _grown(
        self, owner: Scope, name: str, out: list[Member], seen: set[tuple[int, str]], depth: int, via: str
    ) -> None:
        """``name.add("killed")``, ``name.update({...})``, ``name |= {...}``:
        what is added to the collection is in it too."""
        for call, scope in self._calls_on(name):
            func = call.func
            assert isinstance(func, cst.Attribute)
            if scope.owner_of(name) is not owner or len(call.args) != 1 or call.args[0].star or call.args[0].keyword:
                continue
            value = call.args[0].value
            method = func.attr.value
            if method in GROW_ONE and string_value(value) is not None:
                out.append(Member("grown", call, via=via))
            elif method in GROW_MANY:
                if collection_elements(value) is not None and not isinstance(value, cst.Call):
                    if all(isinstance(e, cst.Element) and string_value(e.value) is not None
                           for e in collection_elements(value) or ()):
                        out.append(Member("grown", call, via=via))
                else:
                    self._expression(value, scope, out, seen, depth, via)
        for aug, scope in self.facts.aug_assigns:
            target = aug.target
            if isinstance(target, cst.Name) and target.value == name and scope.owner_of(name) is owner:
                if isinstance(aug.operator, (cst.BitOrAssign, cst.AddAssign, cst.SubtractAssign, cst.BitAndAssign)):
                    self._expression(aug.value, scope, out, seen, depth, via)

    def _passed(
        self, owner: Scope, param: str, out: list[Member], seen: set[tuple[int, str]], depth: int, via: str
    ) -> None:
        """What the module's calls of the function pass for ``param``."""
        function = owner.node
        assert isinstance(function, cst.FunctionDef)
        positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
        name = function.name.value
        cls = self.facts.method_class.get(id(function))
        if cls is None:
            calls = [(c, s) for c, s in self.facts.calls.get(name, []) if s.owner_of(name) is owner.parent]
        else:
            calls = self.resolver._method_calls(f"{cls}.{name}")
            positional = positional[1:]
            if _constructed(self.facts, function) is not None:
                # `Sensor("k", ("failed",))`: the class's calls pass its constructor's parameters.
                module = self.facts.module_scope
                calls = calls + [(c, s) for c, s in self.facts.calls.get(cls, []) if s.owner_of(cls) is module]
                name = cls
        for call, scope in calls:
            argument = _argument(call, positional, param)
            if argument is not None:
                line = self.facts.pos(call).start.line
                self._expression(argument, scope, out, seen, depth, _chain(f"passed to `{name}()` at line {line}", via))

    def _declared(
        self, owner: Scope, param: str, out: list[Member], seen: set[tuple[int, str]], depth: int, via: str
    ) -> None:
        """A command's parameter filled by a decorator (``@click.option("--status",
        "statuses", type=click.Choice(STATUSES))``): the choices and the
        ``default`` of the option it is declared by are what it may hold."""
        function = owner.node
        assert isinstance(function, cst.FunctionDef)
        where = owner.parent or owner
        for decorator in function.decorators:
            call = decorator.decorator
            if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
                continue
            if call.func.attr.value not in _DECLARERS or _declared_name(call) != param:
                continue
            for arg in call.args:
                if arg.keyword is None:
                    continue
                value = arg.value
                if arg.keyword.value == "type" and isinstance(value, cst.Call) and value.args:
                    chooser = value.func.attr.value if isinstance(value.func, cst.Attribute) else (
                        value.func.value if isinstance(value.func, cst.Name) else "")
                    if chooser != "Choice" or value.args[0].keyword is not None or value.args[0].star:
                        continue
                    value = value.args[0].value
                elif arg.keyword.value != "default":
                    continue
                shown = _chain(f"the choices of `{_flag(call)}`" if arg.keyword.value == "type"
                               else f"the `default` of `{_flag(call)}`", via)
                self._expression(value, where, out, seen, depth, shown)

    def _field(
        self, node: cst.Attribute, scope: Scope, out: list[Member], seen: set[tuple[int, str]], depth: int, via: str
    ) -> None:
        """``self.retry_on`` where ``self`` is an instance of a class of this
        module: the field's default in the class body (``retry_on: frozenset[str]
        = field(default=RETRYABLE)``, or ``= RETRYABLE``), what its methods
        assign to it, and what this module's calls of the class pass for it
        by keyword."""
        cls = self.resolver.instance_class(node.value, scope)
        body = self.facts.classes.get(cls or "")
        if cls is None or body is None or (id(body), node.attr.value) in seen:
            return
        seen.add((id(body), node.attr.value))
        attr = node.attr.value
        shown = _chain(f"the default of `{cls}.{attr}`", via)
        class_scope = self.facts.module_scope or scope
        for line in body.body.body:
            for small in line.body if isinstance(line, cst.SimpleStatementLine) else ():
                target = small.target if isinstance(small, cst.AnnAssign) else (
                    small.targets[0].target if isinstance(small, cst.Assign) and len(small.targets) == 1 else None)
                value = small.value if isinstance(small, (cst.AnnAssign, cst.Assign)) else None
                if not (isinstance(target, cst.Name) and target.value == attr and value is not None):
                    continue
                if isinstance(value, cst.Call) and (cst.helpers.get_full_name_for_node(value.func) or "").rsplit(
                        ".", 1)[-1] in _FIELDS:
                    value = next((a.value for a in value.args if a.keyword is not None
                                  and a.keyword.value == "default"), None)
                if value is not None:
                    self._expression(value, class_scope, out, seen, depth, shown)
        for value, _ in self.resolver._assigned_attribute(cls, attr):
            if value is not None:
                where = self.facts.attribute_scopes.get(id(value), scope)
                self._expression(value, where, out, seen, depth, _chain(f"assigned to `self.{attr}`", via))
        for call, call_scope in self.facts.calls.get(cls, []):
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == attr:
                    line_no = self.facts.pos(call).start.line
                    self._expression(arg.value, call_scope, out, seen, depth,
                                     _chain(f"passed as `{attr}` to `{cls}()` at line {line_no}", via))

    def _option(
        self, node: cst.Attribute, scope: Scope, out: list[Member], seen: set[tuple[int, str]], depth: int, via: str
    ) -> None:
        """``args.only`` where ``args = parser.parse_args()``: the ``choices``
        and ``default`` of the option whose destination is ``only``."""
        if not isinstance(node.value, cst.Name):
            return
        holder = node.value.value
        owner = scope.owner_of(holder)
        if owner is None:
            return
        parsers: set[tuple[int, str]] = set()
        for binding in owner.bindings[holder]:
            value = binding.value if binding.kind in ("assign", "unpack") and binding.index in (None, 0) else None
            if (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                    and value.func.attr.value in _PARSE and isinstance(value.func.value, cst.Name)):
                parser = value.func.value.value
                where = owner.owner_of(parser)
                if where is not None:
                    parsers.add((id(where), parser))
        if not parsers:
            return
        # Argument groups of the parser add its options too.
        for _, parser in list(parsers):
            for call, call_scope in self._calls_on(parser):
                func = call.func
                assert isinstance(func, cst.Attribute)
                where = call_scope.owner_of(parser)
                if func.attr.value in _GROUPS and where is not None and (id(where), parser) in parsers:
                    for target in _assigned_names(where, call):
                        parsers.add((id(where), target))
        dest = node.attr.value
        added = [c for _, parser in parsers for c in self._calls_on(parser)]
        for call, call_scope in added:
            func = call.func
            assert isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
            if func.attr.value != "add_argument":
                continue
            where = call_scope.owner_of(func.value.value)
            if where is None or (id(where), func.value.value) not in parsers or _destination(call) != dest:
                continue
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value in ("choices", "default"):
                    shown = _chain(f"the `{arg.keyword.value}` of `{_flag(call)}`", via)
                    self._expression(arg.value, call_scope, out, seen, depth, shown)


def literals_of(member: Member) -> list[cst.SimpleString]:
    """The string literals a collection or growing member holds."""
    node = member.node
    if member.kind == "grown":
        assert isinstance(node, cst.Call)
        node = node.args[0].value
    if isinstance(node, cst.SimpleString):
        return [node]
    if member.kind == "table" and isinstance(node, cst.Dict):
        return [e.key for e in node.elements if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString)]
    if not isinstance(node, cst.BaseExpression):
        return []
    return [e.value for e in collection_elements(node) or () if isinstance(e.value, cst.SimpleString)]


def _string_keyed(node: cst.BaseExpression) -> bool:
    """A dict literal whose every key is a plain string (``{"failed": 30.0}``)."""
    return isinstance(node, cst.Dict) and bool(node.elements) and all(
        isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString) for e in node.elements)


def _constructed(facts: ModuleFacts, function: cst.FunctionDef) -> str | None:
    """The module-level class whose ``__init__`` ``function`` is: calls of
    the class pass its parameters."""
    cls = facts.method_class.get(id(function))
    if cls is None or function.name.value != "__init__" or facts.functions.get(f"{cls}.__init__") is not function:
        return None
    return cls if cls in facts.classes else None


def _chain(step: str, via: str) -> str:
    """How a literal reaches the test, read from the literal: its own step first."""
    return f"{step}, {via}" if via else step


def _scope_of(members: Members) -> Scope:
    scope = members.facts.module_scope
    assert scope is not None
    return scope


def _assigned_names(scope: Scope, call: cst.Call) -> list[str]:
    """The names of ``scope`` bound to exactly ``call``."""
    return [name for name, bindings in scope.bindings.items() for b in bindings if b.value is call]


def _destination(call: cst.Call) -> str | None:
    """Where argparse stores an option: ``dest=``, else its first long flag
    (``--dry-run`` -> ``dry_run``), else its first flag or its positional name."""
    flags = [string_value(a.value) for a in call.args if a.keyword is None and not a.star]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "dest":
            return string_value(arg.value)
    names = [f for f in flags if f]
    if not names:
        return None
    long = [f for f in names if f.startswith("--")]
    chosen = long[0] if long else names[0]
    return chosen.lstrip("-").replace("-", "_")


def _declared_name(call: cst.Call) -> str | None:
    """The parameter a Click option or argument fills: a declaration without
    dashes names it, else its first long flag does (``--dry-run`` -> ``dry_run``)."""
    decls = [string_value(a.value) for a in call.args if a.keyword is None and not a.star]
    names = [d for d in decls if d]
    plain = [d for d in names if not d.startswith("-") and d.isidentifier()]
    if plain:
        return plain[0]
    long = [d for d in names if d.startswith("--")]
    chosen = long[0] if long else (names[0] if names else None)
    return chosen.lstrip("-").replace("-", "_").lower() if chosen else None


def _flag(call: cst.Call) -> str:
    flags = [string_value(a.value) or "" for a in call.args if a.keyword is None and not a.star]
    return next((f for f in flags if f.startswith("--")), flags[0] if flags else "the option")
