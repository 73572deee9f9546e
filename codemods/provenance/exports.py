"""What other modules need to know of this one (``Exports``): its functions
that return session rows (or another vocabulary's records), the items of
the tuples they return, its session classes, their attributes and tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import libcst as cst

from codemods import orm
from codemods.words import FOREIGN_EXPORT, MAPPED_EXPORT, TABLE_EXPORT
from codemods.provenance.model import _CONSTRUCTORS, _ITEM
from codemods.provenance.base import ResolverBase

if TYPE_CHECKING:
    from codemods.provenance.resolver import Resolver


class Exports(ResolverBase):
    """What this module tells the rest of the project."""

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
        from codemods.provenance.mappings import exports as keyed_mappings  # mappings keyed by a status: their own home

        out.update(keyed_mappings(cast("Resolver", self), where))
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
