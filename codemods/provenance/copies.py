"""Copies of a record with an update (``Copies``): ``dataclasses.replace``,
``attrs.evolve``, ``._replace``, ``.model_copy(update=...)`` and the
literal statuses a copy of a session row is given."""

from __future__ import annotations

import libcst as cst

from codemods.literals import string_value
from codemods.provenance.model import COPIERS, _COPY_METHODS, Scope, Origin, _UNKNOWN
from codemods.provenance.base import ResolverBase


class Copies(ResolverBase):
    """Copies of records with an update."""

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
