"""Classes and their instances (``Classes``): which class a value is an
instance of, how a class is built (constructors, factories, ``cls(...)``),
its fields, whether its instances carry session statuses (built from a
session row, shaped like one, written from one, typed with another
vocabulary), and what a class name or an annotation says of a value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence, cast

import libcst as cst

from codemods import orm
from codemods.literals import string_value
from codemods.words import MAPPED_EXPORT
from codemods.provenance.model import _CONSTRUCTORS, Binding, Scope, Origin
from codemods.provenance.nodes import _class_annotation, _class_name, _made_by, _decorated, nodes_in
from codemods.provenance.base import ResolverBase
from codemods.provenance.known import tree_get

if TYPE_CHECKING:
    from codemods.provenance.resolver import Resolver


class Classes(ResolverBase):
    """Classes, instances, constructors and fields."""

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
                found = self._validated_from(name) or self.orm_writes().get(name)
        self._classes[name] = found
        return found

    def _validated_from(self, name: str) -> Origin | None:
        """A model validated from whole session rows: ``Row.model_validate(r)``
        (a constructor it inherits, the manifest's ``model-constructors``) or a
        type adapter's ``TypeAdapter(list[Row]).validate_python(rows)``."""
        python = self.manifest.python
        for attribute in (*python.model_constructors, *python.adapter_methods):
            for call, scope in self.attribute_calls(attribute):
                func = call.func
                assert isinstance(func, cst.Attribute)
                target = func.value
                if attribute in python.adapter_methods:
                    adapter = target if isinstance(target, cst.Call) else None
                    named = adapter is not None and (cst.helpers.get_full_name_for_node(adapter.func) or "").rsplit(
                        ".", 1)[-1] in python.adapters and bool(adapter.args) and any(
                        isinstance(n, cst.Name) and n.value == name for n in nodes_in(adapter.args[0].value, cst.Name))
                else:
                    named = isinstance(target, cst.Name) and target.value == name
                if not named or not call.args or call.args[0].star:
                    continue
                inner = self.origin(call.args[0].value, scope)
                if inner.kind in ("session", "foreign") and inner.strength == "strong":
                    return Origin(inner.kind, "strong", f"a `{name}` validated at line {self.facts.pos(call).start.line} "
                                  f"from {inner.why}")
        return None

    def row_shape(self, name: str) -> str | None:
        """Why a class of this module is a session row type: its annotated
        fields have the shape the manifest gives a session row (the status
        field, every identity key and one of the others: a ``TypedDict`` of
        ``sessions_list`` rows), or None. The shape, not the class's name,
        is the evidence: another vocabulary's records lack those keys."""
        rows = self.manifest.gateway_rows
        if name not in self.facts.classes or not rows.identity or not rows.any_of:
            return None
        from codemods.provenance.row_shape import wire_aliases  # Field(alias="sessionId"): the row's key

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
            return self._held_class(node, scope, depth, self.instance_class)
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
        if depth > 8:
            return None  # a function returning a call of itself
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

    def _held_class(
        self, node: cst.Attribute, scope: Scope, depth: int,
        class_of: Callable[[cst.BaseExpression, Scope, int], str | None],
    ) -> str | None:
        """What ``class_of`` says of every value assigned to ``holder.attr``
        (``self.gateway = ...``) in the holder's class: one class in every
        assignment, or nothing is known."""
        assert isinstance(node.value, cst.Name)
        holder = self.instance_class(node.value, scope, depth + 1)
        if holder is None or holder not in self.facts.classes:
            return None
        built = {
            class_of(value, self.facts.attribute_scopes.get(id(value), scope), depth + 1) if value is not None else None
            for value, _ in self._assigned_attribute(holder, node.attr.value)
        }
        return built.pop() if len(built) == 1 else None

    def _factory_class(self, node: cst.BaseExpression, scope: Scope, depth: int) -> str | None:
        """The class a factory builds when called: a parameter defaulting to
        a class or typed as making one (``gateway: Callable[[], Gateway] =
        Gateway``, ``type[Gateway]``), a name bound to a class, or an
        attribute of ``self`` one method assigns such a value
        (``self.gateway = gateway``, then ``self.gateway()``)."""
        if depth > 4:
            return None
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            return self._held_class(node, scope, depth, self._factory_class)
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
        if inner.kind == "unknown" and not cast("Resolver", self).mixed_for(subject.scope):
            # `cls(row["key"], row.get("status"), bool(row.get("abortedLastRun")))`:
            # a row no caller here passes, read with a key only session rows have.
            from codemods.provenance.row_shape import by_shape

            shaped = by_shape(cast("Resolver", self), subject)
            if shaped is not None:
                return Origin("session", "strong", f"{subject.description} {shaped}, which only a session row has")
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
        return tree_get(self.tree.exports, marker) is not None  # the marker, a key ending in it, or a tail of it

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
