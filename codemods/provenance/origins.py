"""Where a value comes from (``Origins``), followed through expressions:
literals, dicts and copies of rows, ``or`` fallbacks, subscripts and
attributes, calls (decoders, transports, queries, the module's helpers and
what they return, items of the tuples they return, properties and held
attributes of instances)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import libcst as cst

from codemods import orm
from codemods.literals import string_value
from codemods.provenance.model import (
    DECODERS,
    _TRANSPORTS,
    _LITERALS,
    _PROSE,
    _COMMANDS,
    PASS_THROUGH,
    Scope,
    Origin,
    _UNKNOWN,
    _ITEM,
    _FILLS,
)
from codemods.words import FOREIGN_EXPORT
from codemods.provenance.nodes import status_root, _decorated, _plain_item
from codemods.provenance.base import ResolverBase

if TYPE_CHECKING:
    from codemods.provenance.resolver import Resolver


class Origins(ResolverBase):
    """Propagation through expressions, calls and returns."""

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
            return self._text_origin(text or "") or _UNKNOWN
        if isinstance(node, (cst.List, cst.Tuple)) and node.elements:
            # ["openclaw", "sessions", "--json"]: a command line, read as words.
            # The leading words count: ["openclaw", "sessions", "--json", str(n)].
            words = self._command_words(node.elements, scope, 0)
            return self._text_origin(" ".join(words)) or _UNKNOWN if words else _UNKNOWN
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
            store = self._store_key(node) if label else None
            if store is not None:
                return store
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
            found = self._text_origin(name)
            if found is not None:
                return Origin(found.kind, "strong", f"a `{name}` result" if found.kind == "session" else
                              f"the value comes from `{name}`")
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
                if arg.keyword is not None and arg.keyword.value in _PROSE:
                    continue  # ArgumentParser(description="... cron session cards"): words for people
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
            known = self._exported(name) or self._local_callable(name, depth, node, scope)
            if known is not None:
                return known
            foreign = self._foreign_token(name.rsplit(".", 1)[-1])
            if foreign:
                return Origin("foreign", "strong", f"the value comes from `{foreign}`")
        if isinstance(node.func, cst.Attribute):
            # gw.list_sessions() where gw = Gateway(): what that method returns.
            method = self._method(node.func, scope)
            if method is not None:
                known = self._exported(method) or self._local_callable(method, depth, node, scope)
                if known is not None:
                    return known
        queued = self._queued_origin(node, scope, depth)
        if queued is not None:
            return queued
        ran = self._run_origin(node, name, scope, depth)
        if ran is not None:
            return ran
        store = self._store_key(node)
        if store is not None:  # config.get("sessionsStorePath")
            return store
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" and node.args \
                and string_value(node.args[0].value) in self.foreign_keys:
            # run.get("outcome"), as run["outcome"]: a foreign record.
            return Origin("foreign", "strong", f"the value comes from `{string_value(node.args[0].value)}`")
        queried = self._query_origin(node, scope)
        if queried is not None:
            return queried
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in self._kv_reads:
            from codemods.provenance.stores import stored_origin  # r.hgetall(ROW_KEY.format(key=k)): what is stored there

            stored = stored_origin(node, scope, cast("Resolver", self), depth)
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
        for target, value, scope in [*self.facts.attribute_writes, *self.attribute_fills(), *self.item_fills()]:
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

    def item_fills(self) -> list[tuple[cst.Attribute, cst.BaseExpression, Scope]]:
        """``self.cache[row["key"]] = row``, ``self.cache.setdefault(key, row)``:
        the mapping the attribute holds is filled with those rows (target,
        what fills it, scope), as :meth:`attribute_fills` fills a list."""
        return [*self.facts.item_writes, *(
            (holder, value, scope) for holder, value, scope in self.set_defaults()
            if isinstance(holder, cst.Attribute) and isinstance(holder.value, cst.Name))]

    def set_defaults(self) -> list[tuple[cst.BaseExpression, cst.BaseExpression, Scope]]:
        """Each ``holder.setdefault(key, value)`` of the module (holder, value,
        scope): what it puts in the mapping ``holder`` names, as an item
        write does (see :meth:`item_fills`, and Names._filled_origin)."""
        if self._defaults is None:
            self._defaults = [
                (call.func.value, call.args[1].value, scope) for call, scope in self.attribute_calls("setdefault")
                if isinstance(call.func, cst.Attribute) and len(call.args) == 2
                and not call.args[0].star and not call.args[1].star]
        return self._defaults

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

    def _run_origin(self, node: cst.Call, name: str, scope: Scope, depth: int) -> Origin | None:
        """A call that runs a function of the project it is given, by
        position, and returns its result (the manifest's deferred
        ``returns``: ``asyncio.to_thread(fetch_rows)``,
        ``loop.run_in_executor(None, fetch_rows)``, ``retrying(find_session,
        key)`` where ``retrying = Retrying(...)``): what that function returns."""
        runners = self.manifest.python.deferred.returns
        runner = node.func
        if isinstance(runner, cst.Name):
            bindings = scope.lookup(runner.value)
            if len(bindings) == 1 and isinstance(bindings[0].value, cst.Call):
                runner = bindings[0].value.func  # `retrying = Retrying(stop=...)`
        elif isinstance(runner, cst.Call):
            runner = runner.func  # `Retrying(stop=...)(fetch, key)`
        if (cst.helpers.get_full_name_for_node(runner) or "").rsplit(".", 1)[-1] not in runners:
            return None
        for arg in node.args[:2]:
            if arg.keyword is not None or arg.star:
                break
            if not isinstance(arg.value, (cst.Name, cst.Attribute)):
                continue
            given = cst.helpers.get_full_name_for_node(arg.value) or ""
            if not given or (given not in self.facts.functions and self.absolute(given) is None):
                continue  # a value, not a function the project defines
            known = self._exported(given) or self._local_callable(given, depth)
            if known is not None and known.kind in ("session", "foreign"):
                why = f"what `{given}()` returns, run by `{name or 'a call'}()`: {known.why}"
                return Origin(known.kind, known.strength, why)
        return None

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
        if index == 0 and isinstance(value.func, cst.Attribute) and value.func.attr.value == "raw_decode" and value.args:
            # `payload, end = decoder.raw_decode(text, i)`: what the text decodes to, and where it ends.
            return self.origin(value, scope, depth + 1)
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
