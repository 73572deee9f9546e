"""What a compared expression is (``Subjects``): a status read of which
object (``row["status"]``, ``row.get("status")``, ``.status``, through a
helper, an enum, a key of a counted table), the module constants and unions
it is compared with, and the words each subject is compared with."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import libcst as cst

from codemods import tables
from codemods.literals import string_value
from codemods.provenance.partials import getter_read, passed_key
from codemods.sites import Validator
from codemods.provenance.model import Binding, Scope, Comparison, Dispatch, Subject, Verdict
from codemods.provenance.nodes import (
    counted_key,
    status_root,
    unwrap,
    _argument,
    _only_looked_up,
    _plain_item,
    collection_elements,
    case_literals,
    table_entries,
    union_components,
    union_literals,
)
from codemods.provenance.base import ResolverBase

if TYPE_CHECKING:
    from codemods.provenance.resolver import Resolver


class Subjects(ResolverBase):
    """What a compared value reads, and the words it is compared with."""

    def literal_words(self, node: cst.BaseExpression) -> list[str] | None:
        """Strings of a literal or a collection literal; None if not all
        strings. A ``None`` among them (``{None, "", "done"}``: a row with no
        status yet) is no word, and no other value."""
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
            if v is None and isinstance(element.value, cst.Name) and element.value.value == "None":
                continue
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
            value = owner.bound_once(obj)
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
            key = passed_key(cast("Resolver", self), part, scope)
            if key is not None:
                root = status_root(part)
                return Subject(f"{id(scope)}:{self.code(root)}.{key}", True, root, scope,
                               f"`{self.code(part)}` (given `{key}` by every call)")
            # `status_of(r)` where `status_of = itemgetter("status")`.
            got = getter_read(cast("Resolver", self), part, scope)
            if got is not None:
                return Subject(f"{id(scope)}:{self.code(got[1])}.{got[0]}", True, got[1], scope, f"`{self.code(part)}`")
        for part in unwrap(node):
            held = self._held_status(part, scope, depth) if depth < 4 else None
            if held is not None:
                return held
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
                validated = self._validated(part.value, owner, bindings)
                if validated is not None:
                    return validated
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
                        value = binding.value
                        if binding.kind == "unpack" and value is not None and binding.index is not None:
                            # `key, status = row["key"], row.get("status")`
                            value = _plain_item(value, binding.index)
                        if binding.kind in ("assign", "walrus", "unpack") and value is not None:
                            inner = self.subject(value, owner, depth + 1)
                            if inner is not None and inner.is_status:
                                return Subject(
                                    inner.key, True, inner.root, inner.scope,
                                    f"`{part.value}` (bound from {inner.description})", marked or inner.marked,
                                )
                return Subject(f"{id(owner)}:{part.value}", False, None, owner, f"`{part.value}`", marked)
        return None

    def _validated(self, name: str, owner: Scope, bindings: list[Binding]) -> Subject | None:
        """``v`` of ``@field_validator("status") def tidy(cls, v)`` (the
        manifest's ``field-validators``): the raw value of the status field
        of the class, as ``cls.status`` would read it; judged by the class."""
        function = owner.node
        if not isinstance(function, cst.FunctionDef) or not any(b.kind == "param" for b in bindings):
            return None
        cls = self.facts.method_class.get(id(function))
        params = function.params.params
        if cls is None or len(params) < 2 or params[1].name.value != name:
            return None
        validators = self.manifest.python.field_validators
        for decorator in function.decorators:
            call = decorator.decorator
            if not isinstance(call, cst.Call):
                continue
            called = cst.helpers.get_full_name_for_node(call.func) or ""
            if called.rsplit(".", 1)[-1] not in validators:
                continue
            fields = [string_value(a.value) for a in call.args if a.keyword is None and not a.star]
            field = next((f for f in fields if f in self.facts.attributes), None)
            if field is not None:
                first = params[0].name
                return Subject(f"{id(owner)}:{first.value}.{field}", True, first, owner,
                               f"`{name}` (the `{field}` a `{cls}` is given, as its validator sees it)")
        return None

    def _held_status(self, node: cst.BaseExpression, scope: Scope, depth: int) -> Subject | None:
        """``self.last.get(key)`` or ``self.last[key]`` where every value the
        class writes into ``self.last`` (``self.last[key] = status``) that is
        not a literal is a status read: a status, read where it was written."""
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" \
                and node.args and not node.args[0].star:
            holder, key = node.func.value, node.args[0].value
        elif isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            holder, key = node.value, node.slice[0].slice.value
        else:
            return None
        if not (isinstance(holder, cst.Attribute) and isinstance(holder.value, cst.Name)) or string_value(key) is not None:
            return None
        cls = self.instance_class(holder.value, scope)
        if cls is None:
            return None
        found: Subject | None = None
        for target, value, where in self.facts.item_writes:
            if target.attr.value != holder.attr.value or self.instance_class(target.value, where) != cls:
                continue
            if string_value(value) is not None:
                continue  # `self.last[key] = "killed"`: what is written, not where it comes from
            inner = self.subject(value, where, depth + 1)
            if inner is None or not inner.is_status:
                return None  # a value of another kind is held there too
            found = found or Subject(inner.key, True, inner.root, inner.scope,
                                     f"`{self.code(node)}` (a value of `{self.code(holder)}`, written at line "
                                     f"{self.facts.pos(value).start.line} from {inner.description})", inner.marked)
        return found

    def _reaching_keys(self, use: cst.Name, bindings: list[Binding]) -> list[Binding]:
        """``bindings`` without the key bindings that do not reach ``use``:
        where a name is bound by several loops of one function (comprehension
        names share it), only the nearest above the use holds it there."""
        keys = [b for b in bindings if b.kind == "key"]
        if not keys or len(bindings) == 1:
            return bindings
        nearest = self.nearest_binding(use, bindings)
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
        owner = scope.owner_of(container.value) or scope
        value = scope.bound_once(container.value)
        key = counted_key(value) if value is not None else None
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
        passed = self._passed_through(call, function, positional, name, scope, depth)
        if passed is not None:
            return passed
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

    def _passed_through(self, call: cst.Call, function: cst.FunctionDef, positional: list[str], name: str,
                        scope: Scope, depth: int) -> Subject | None:
        """``_normalize(entry.get("status"))`` where the helper's one return
        gives back its parameter normalised (``return str(value or
        "").strip().lower()``, ``.replace("-", "_")`` too): the status read
        of what the call passes."""
        returns = self.facts.function_returns.get(name, [])
        if len(returns) != 1:
            return None
        returned = returns[0][0]
        while isinstance(returned, cst.Call) and isinstance(returned.func, cst.Attribute) \
                and returned.func.attr.value == "replace" and len(returned.args) == 2 \
                and all(isinstance(a.value, cst.SimpleString) for a in returned.args):
            returned = returned.func.value  # .replace("-", "_"): spelling, as .lower() is
        parts = list(unwrap(returned))
        names = [p.value for p in parts if isinstance(p, cst.Name)]
        if len(names) != 1 or names[0] not in positional or not all(
                isinstance(p, cst.SimpleString) for p in parts if not isinstance(p, cst.Name)):
            return None
        argument = _argument(call, positional, names[0])
        inner = self.subject(argument, scope, depth + 1) if argument is not None else None
        if inner is None or not inner.is_status:
            return None
        shown = f"`{self.code(call)}` (`{name.rsplit('.', 1)[-1]}()` normalises {inner.description})"
        return Subject(inner.key, True, inner.root, inner.scope, shown, inner.marked)

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
            word = string_value(value)
            # A default of another vocabulary (`entry.get("status", "completed")`)
            # says what the value holds; a session name as a default says nothing new.
            if kind == "dict" or (kind == "default" and word not in self.foreign_words):
                continue
            subject = self.subject(target, scope)
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
