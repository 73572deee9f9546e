"""Where a name's value comes from (``Names``): its bindings, the payload of
an event handler, a list built by ``append``, a queue's ``put``, and a
parameter as every call site in the project passes it (methods' callers
included)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast, Sequence

import libcst as cst

from codemods.literals import string_value
from codemods.words import WORDS, words_of
from codemods.provenance.model import MARK_STATUS, _QUEUE_PUTS, _QUEUE_GETS, Binding, Scope, Origin, _UNKNOWN
from codemods.provenance.nodes import _runs_command, _decorated, _argument, _plain_item
from codemods.provenance.base import ResolverBase

if TYPE_CHECKING:
    from codemods.provenance.resolver import Resolver


class Names(ResolverBase):
    """Propagation through names, parameters, handlers and queues."""

    def _name_origin(self, name: str, scope: Scope, depth: int, use: cst.Name | None = None) -> Origin:
        owner = scope.owner_of(name) or scope
        bindings = self.reaching(use, scope.lookup(name), owner.node)
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
            nearest = self.nearest_binding(use, bindings)
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
            from codemods.provenance.state_types import state_origin  # a state passed from step to step by a framework

            stated = state_origin(cast("Resolver", self), name, bindings, depth)
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
        """``rows = []`` then ``rows.append({... "status": entry["status"]})``,
        ``rows.extend(page)`` or ``rows += page``: the list holds what is put
        in it, when all of it is of one kind."""
        if any(b.kind in ("assign", "unpack") and _empty_dict(b) for b in bindings):
            return self._filled_origin(name, owner, depth)
        if not any(b.kind in ("assign", "unpack") and _empty_list(b) for b in bindings):
            return None
        found: list[Origin] = []
        for call, call_scope in [*self.attribute_calls("append"), *self.attribute_calls("extend")]:
            func = call.func
            if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                    and func.value.value == name and len(call.args) == 1 and not call.args[0].star
                    and call.args[0].keyword is None and call_scope.owner_of(name) is owner):
                found.append(self.origin(call.args[0].value, call_scope, depth + 1))
        for node, aug_scope in self.facts.aug_assigns:
            if (isinstance(node.target, cst.Name) and node.target.value == name and isinstance(node.operator, cst.AddAssign)
                    and aug_scope.owner_of(name) is owner):
                found.append(self.origin(node.value, aug_scope, depth + 1))
        kinds = {o.kind for o in found}
        if len(kinds) != 1 or "unknown" in kinds:
            return None
        return Origin(found[0].kind, found[0].strength, f"`{name}` holds {found[0].why}")

    def _filled_origin(self, name: str, owner: Scope, depth: int) -> Origin | None:
        """``rows = {}`` then ``rows[key] = {"key": key, **entry}`` (or
        ``rows.setdefault(key, entry)``): the mapping's values are what is
        put in it, when all of it is of one kind, as a list's are what is
        appended. A placeholder with no status key says nothing."""
        put: list[tuple[cst.BaseExpression, Scope]] = [
            (value, where) for target, value, where in self.facts.name_item_writes
            if target.value == name and where.owner_of(name) is owner]
        put += [(value, where) for holder, value, where in self.set_defaults()
                if isinstance(holder, cst.Name) and holder.value == name and where.owner_of(name) is owner]
        # A placeholder with no status (`setdefault(key, {"key": key})`) holds no other vocabulary's.
        found = [self.origin(value, where, depth + 1) for value, where in put if not self._statusless(value)]
        kinds = {o.kind for o in found}
        if len(kinds) != 1 or "unknown" in kinds or "mixed" in kinds:
            # Of two kinds, or something of unknown origin put in too (a copy
            # of one of its own values, a restore from the program's own
            # file): what else is known of the name decides (its type).
            return None
        strength = "strong" if all(o.strength == "strong" for o in found) else "weak"
        return Origin(found[0].kind, strength, f"`{name}` holds what is put in it, {found[0].why}")

    def _statusless(self, value: cst.BaseExpression) -> bool:
        """A dict literal of plain string keys, none a status key."""
        return isinstance(value, cst.Dict) and all(
            isinstance(e, cst.DictElement) and string_value(e.key) is not None
            and string_value(e.key) not in self.facts.keys for e in value.elements)

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
            if self.written_words(argument, scope):
                # `self._emit(key, "killed", ...)` beside `self._emit(key, row.get("status"), ...)`:
                # a word of the session vocabulary written here says nothing of where the others come from.
                continue
            where = f"line {self.facts.pos(call).start.line}"
            passed.append((self.origin(argument, scope, depth + 2), f"at {where}, `{self.code(argument)}`"))
        qualified = f"{cls}.{name}" if cls is not None else name
        if self.facts.functions.get(qualified) is function:
            index = str(own.index(param)) if param in own else None
            for key, kind, strength, where, why in self.tree.passed.get(qualified, ()):
                if (key == param or key == index) and kind != WORDS:  # (words written there: as above)
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

    def written_words(self, argument: cst.BaseExpression, scope: Scope) -> bool:
        """Whether ``argument`` holds words written in the code, no value
        from anywhere: a word of the session vocabulary, or a name that
        iterates a collection of them or a constant (``for status in
        ["done", "failed"]``, ``for status in marks.SESSION_STATUSES``)."""
        if string_value(argument) in self.vocab.all_values:
            return True
        if not isinstance(argument, cst.Name):
            return False
        bindings = scope.lookup(argument.value)
        return bool(bindings) and all(
            b.kind == "for" and b.index is None and b.column is None and b.value is not None
            and self._written_collection(b.value) for b in bindings)

    def _written_collection(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return bool(node.elements) and all(
                string_value(e.value) in self.vocab.all_values for e in node.elements)
        # A constant (`SESSION_STATUSES`, `marks.SESSION_STATUSES`): its words are judged where it is defined.
        name = node.attr.value if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) else \
            node.value if isinstance(node, cst.Name) else ""
        return len(name) > 1 and name.isupper()

    def _method_calls(self, method: str) -> list[tuple[cst.Call, Scope]]:
        """Calls of ``Class.method`` made through an instance (``self.loose_ends(raw)``,
        ``shift.round()`` where ``shift = Shift()``)."""
        return [
            (call, scope) for call, scope in self.attribute_calls(method.rsplit(".", 1)[-1])
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


def _empty_dict(binding: Binding) -> bool:
    """Whether a binding starts an empty mapping: ``rows = {}``, ``rows: dict[str, dict] = {}``, ``dict()``."""
    value = binding.value
    if binding.index is not None and value is not None:
        value = _plain_item(value, binding.index)
    if isinstance(value, cst.Dict):
        return not value.elements
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in ("dict", "OrderedDict") \
        and not value.args


def _empty_list(binding: Binding) -> bool:
    """Whether a binding starts an empty list: ``rows = []``, or its item of
    ``rows, total = [], 0``."""
    value = binding.value
    if binding.index is not None and value is not None:
        value = _plain_item(value, binding.index)
    return isinstance(value, cst.List) and not value.elements
