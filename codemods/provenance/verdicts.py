"""The verdict on a subject (``Verdicts``): certain, likely or possible
from its origin, or none where it is another vocabulary's, with the chain
as its why; the weaker signs count only for an unknown origin."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast, Sequence

import libcst as cst

from codemods.provenance.row_shape import by_shape
from codemods.literals import string_value
from codemods.words import STATUS_READ, words_of
from codemods.provenance.model import MARK_STATUS, Scope, Subject, Origin, _UNKNOWN, Verdict
from codemods.provenance.nodes import _argument, _decorated
from codemods.provenance.base import ResolverBase

if TYPE_CHECKING:
    from codemods.provenance.resolver import Resolver


class Verdicts(ResolverBase):
    """The verdict per subject."""

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
            if origin.kind == "unknown":
                own = self._own_values(subject)
                if own is not None:
                    return Verdict(None, f"{subject.description}: {own}")
            if origin.kind == "foreign":
                return Verdict(None, f"{subject.description}: {origin.why}")
            if origin.kind == "session" and origin.strength == "strong":
                extra = f"; {', '.join(map(repr, foreign))} kept as written" if foreign else ""
                return Verdict("certain", f"{verb} {subject.description}, where {origin.why}{extra}")
            if origin.kind == "mixed":
                return Verdict("possible", f"{verb} {subject.description}, but {origin.why}")
            shaped = self._shaped_parameter(subject) if origin.kind == "unknown" else None
            if shaped is not None:
                # Passed a status of objects only session rows are shaped like:
                # the words of another vocabulary beside it are defensive extras.
                extra = f"; {', '.join(map(repr, foreign))} kept as written" if foreign else ""
                return Verdict("likely", f"{verb} {subject.description}, where {shaped}{extra}")
            origin = _UNKNOWN
        if subject.marked:
            return Verdict("certain", f"{subject.description} is marked `# migrator: {MARK_STATUS}`")
        if foreign:
            return Verdict(None, f"{subject.description} is also compared with {', '.join(map(repr, foreign))}")
        typed = self._typed_words(subject)
        if typed and (typed & self.foreign_words or not typed & self.vocab.old):
            shown = ", ".join(map(repr, sorted(typed & self.foreign_words or typed)))
            return Verdict(None, f"{subject.description} is declared a `Literal` of another vocabulary ({shown})")
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
            shaped = by_shape(cast("Resolver", self), subject) if not mixed else None
            if shaped is not None:
                # Read with a key only session rows have: a session row by its shape.
                return Verdict("likely", f"{verb} {subject.description}, {shaped}, which only a session row has")
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

    def _own_values(self, subject: Subject) -> str | None:
        """Why a plain name holds no session status, when every binding of
        it says where its value comes from and none is a status read: the
        words the code writes itself (``state = "timeout"`` in an
        ``except``, ``"done" if r.ok else "failed"``), or a field of another
        name read from a store (``r.hget(JOB_KEY.format(k), "state")``,
        ``job["state"]``). None otherwise."""
        name = subject.key.split(":", 1)[-1]
        bindings = subject.scope.bindings.get(name, [])
        if not bindings or not all(b.kind == "assign" and b.index is None and b.value is not None for b in bindings):
            return None
        fields: set[str] = set()
        for binding in bindings:
            assert binding.value is not None
            for value in _alternatives(binding.value):
                if isinstance(value, cst.SimpleString):
                    continue
                field = self._other_field(value)
                if field is None:
                    return None
                fields.add(field)
        if fields:
            return f"`{name}` holds the `{'`, `'.join(sorted(fields))}` field it is read from, not a `status`"
        return f"`{name}` holds only the words this code writes itself"

    def _other_field(self, value: cst.BaseExpression) -> str | None:
        """The field a read names (``x.get("state")``, ``r.hget(k,
        "state")``, ``job["state"]``) when it says it is a state but is no
        session status key; None for any other expression."""
        keys = set(self.manifest.python.keys)
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                and value.func.attr.value in ("get", "hget", "getattr"):
            words = [string_value(a.value) for a in value.args]
        elif isinstance(value, cst.Subscript) and len(value.slice) == 1 and isinstance(value.slice[0].slice, cst.Index):
            words = [string_value(value.slice[0].slice.value)]
        else:
            return None
        named = [w for w in words if w is not None]
        if not named or any(w in keys for w in named):
            return None
        said = [w for w in named if {"status", "state"} & set(words_of(w))]
        return said[0] if said else None

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
            return self._status_passed(name, subject.scope)
        return self.origin(cst.Name(name), subject.scope)

    def _status_passed(self, param: str, scope: Scope) -> Origin:
        """A parameter whatever its name (``def number(name): return
        TABLE.get(name.strip().lower())``) where every call site in the
        project passes a status read of a session row (``row.get("status")``,
        a name bound from one): that row's origin. What is passed is judged,
        not the parameter's name: ``kind`` given ``row["kind"]`` gets nothing."""
        sites = self._call_sites(scope)
        if sites is None:
            return _UNKNOWN
        name, positional, calls = sites
        found: list[Origin] = []
        for call, where in calls:
            argument = _argument(call, positional, param)
            if argument is None:
                continue
            read = self.subject(argument, where)
            if read is None or not read.is_status or read.root is None:
                return _UNKNOWN  # one call passes something else
            origin = self.origin(read.root, read.scope)
            line = self.facts.pos(call).start.line
            found.append(Origin(origin.kind, origin.strength,
                                f"`{param}` of `{name}()` is passed {read.description} at line {line}, {origin.why}"))
        index = str(positional.index(param)) if param in positional else None
        for key, kind, strength, where_, why in self.tree.passed.get(name, ()):
            if key in (param, index):
                # Another module passes it here: only a status read counts.
                reads = [r for r in self.tree.passed.get(name, ()) if r[0] == key + STATUS_READ and r[3] == where_]
                if not reads:
                    return _UNKNOWN
                found.append(Origin(kind, strength, f"`{param}` of `{name}()` is passed a status {where_}, {why}"))
        if not found or not all(o.kind == "session" and o.strength == "strong" for o in found):
            return _UNKNOWN
        return found[0]


    def _typed_words(self, subject: Subject) -> set[str] | None:
        """The words of the ``Literal`` type a status of unknown origin is
        declared with: a parameter annotated with one (directly, or through
        an alias of this module: ``status: SubgraphStatus``), or, for a field
        read off an object, the types the classes of this module declare
        that field with (``status: Literal["running", "completed", ...]``);
        None when not every declaration is such a type."""
        if subject.is_status:
            field = subject.key.rsplit(".", 1)[-1]
            found: set[str] | None = None
            for body in self.facts.classes.values():
                for statement in body.body.body:
                    for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
                        if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) \
                                and small.target.value == field:
                            words = self._literal_words(small.annotation.annotation, 0)
                            if words is None:
                                return None
                            found = (found or set()) | words
            return found
        bindings = subject.scope.lookup(subject.key.split(":", 1)[-1])
        if not bindings or not all(b.kind == "param" and b.annotation is not None for b in bindings):
            return None
        typed: set[str] = set()
        for binding in bindings:
            assert binding.annotation is not None
            words = self._literal_words(binding.annotation, 0)
            if words is None:
                return None
            typed |= words
        return typed

    def _literal_words(self, node: cst.BaseExpression, depth: int) -> set[str] | None:
        """The strings of ``Literal[...]`` (``X | None``, ``Optional[X]`` and a
        module-level alias of one followed), or None for any other type."""
        if depth > 3:
            return None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            sides = [n for n in (node.left, node.right) if not (isinstance(n, cst.Name) and n.value == "None")]
            found = [self._literal_words(n, depth + 1) for n in sides]
            return None if not found or any(w is None for w in found) else set().union(*found)  # type: ignore[arg-type]
        if isinstance(node, cst.Subscript):
            wrapper = (cst.helpers.get_full_name_for_node(node.value) or "").rsplit(".", 1)[-1]
            if wrapper == "Optional" and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
                return self._literal_words(node.slice[0].slice.value, depth + 1)
            if wrapper == "Literal":
                return {w for e in node.slice if isinstance(e.slice, cst.Index)
                        for w in [string_value(e.slice.value)] if w is not None}
            return None
        if isinstance(node, cst.Name):
            module = self.facts.module_scope
            aliases = module.bindings.get(node.value, []) if module is not None else []
            if len(aliases) == 1 and aliases[0].kind == "assign" and aliases[0].value is not None:
                return self._literal_words(aliases[0].value, depth + 1)
        return None

    def _call_sites(self, scope: Scope) -> tuple[str, list[str], list[tuple[cst.Call, Scope]]] | None:
        """For the function ``scope`` is the body of (one of this module's,
        or a method): its name as calls name it, the parameters its callers
        pass by position, and its calls in this module; None otherwise."""
        function = scope.node
        if not isinstance(function, cst.FunctionDef):
            return None
        cls = self.facts.method_class.get(id(function))
        name = function.name.value if cls is None else f"{cls}.{function.name.value}"
        if self.facts.functions.get(name) is not function:
            return None
        positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
        if cls is not None and not _decorated(function, "staticmethod"):
            positional = positional[1:]  # a method's callers do not pass its `self`
        return name, positional, self.facts.calls_of(name) if cls is None else self._method_calls(name)

    def _shaped_parameter(self, subject: Subject) -> str | None:
        """Why a parameter holds a session status when every call of its
        function (in this module, none from another) passes a status read of
        an object the caller also reads a key only session rows have from
        (``_is_failed_like(current, ...)`` after ``current =
        _normalize(entry.get("status"))`` and ``entry.get("abortedLastRun")``),
        in code that handles no other vocabulary; None otherwise."""
        name = subject.key.split(":", 1)[-1]
        bindings = subject.scope.bindings.get(name, [])
        sites = self._call_sites(subject.scope) if bindings and all(b.kind == "param" for b in bindings) else None
        if sites is None or self.tree.passed.get(sites[0]):
            return None
        qualified, positional, calls = sites
        why = None
        for call, where in calls:
            argument = _argument(call, positional, name)
            read = self.subject(argument, where) if argument is not None else None
            if read is None or not read.is_status or read.root is None or self.mixed_for(where):
                return None
            shaped = by_shape(cast("Resolver", self), read)
            if shaped is None:
                return None
            line = self.facts.pos(call).start.line
            why = why or (f"`{name}` of `{qualified}()` is passed {read.description} at line {line}, {shaped}, "
                          "which only a session row has")
        return why


def _alternatives(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The values an expression may give: both arms of ``a if c else b``,
    each operand of ``a or b``, else the expression itself."""
    if isinstance(value, cst.IfExp):
        return [*_alternatives(value.body), *_alternatives(value.orelse)]
    if isinstance(value, cst.BooleanOperation) and isinstance(value.operator, cst.Or):
        return [*_alternatives(value.left), *_alternatives(value.right)]
    return [value]
