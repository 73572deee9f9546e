"""Query rows read by position (``Columns``): the SQL text a row or its
rows come from, the column a name or an index reads, and which tables'
status columns hold session statuses."""

from __future__ import annotations

import libcst as cst

from codemods import orm
from codemods.literals import string_value
from codemods.words import TABLE_EXPORT
from codemods.provenance.model import Scope, Subject
from codemods.provenance.sql import select_list
from codemods.provenance.base import ResolverBase
from codemods.provenance.known import select


class Columns(ResolverBase):
    """Columns of query rows and the SQL text behind them."""

    def column_subject(self, node: cst.BaseExpression, scope: Scope) -> Subject | None:
        """A column of a query row read by position: a name unpacked from
        the rows (``for key, status, raw in con.execute("SELECT session_key,
        status, entry_json FROM session_nodes")``, also through ``rows =
        ....fetchall()``, ``key, status = cur.fetchone()``) or an index of a
        row (``row[1]``), mapped to the query's ``SELECT`` list. The status
        column of a session table is a status read of those rows; a status
        column of another table holds none. None when the query is not known."""
        if id(node) in self.bound:
            return self.bound[id(node)]
        found: tuple[str, int, cst.BaseExpression, Scope] | None = None
        if isinstance(node, cst.Name):
            owner = scope.owner_of(node.value) or scope
            bindings = scope.lookup(node.value)
            if not any(b.column is not None or b.kind == "unpack" for b in bindings):
                bindings = []  # no row is unpacked into it: positions are not needed
            elif len(bindings) > 1:
                # Two loops may bind one name to columns of two queries: the
                # one before this use holds it.
                nearest = self.nearest_binding(node, bindings)
                bindings = [nearest] if nearest is not None else []
            for binding in bindings:
                if binding.value is None:
                    continue
                if binding.kind == "for" and binding.column is not None:
                    sql = self.rows_query(binding.value, owner)
                    column = binding.column
                elif binding.kind == "unpack" and binding.index is not None:
                    sql, column = self.row_query(binding.value, owner), binding.index
                else:
                    continue
                if sql is not None:
                    found = (sql, column, binding.value, owner)
                    break
        elif (isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index)
              and isinstance(node.slice[0].slice.value, cst.Integer)):
            sql = self.row_query(node.value, scope)
            if sql is not None:
                found = (sql, int(node.slice[0].slice.value.value, 0), node.value, scope)
        if found is None:
            return None
        sql, column, root, owner = found
        selected = select_list(sql)
        if selected is None or column >= len(selected[1]):
            return None
        table, columns = selected
        name = columns[column]
        if name not in self.facts.keys:
            return None  # another column: what it holds is asked as of any name
        shown = self.code(node)
        described = f"`{shown}` (column `{name}` of a query of `{table}`)"
        if f"{table}.{name}" not in self.status_columns():
            return Subject(f"{id(owner)}:{shown}", False, None, owner, described,
                           apart=f"{described} is no column of a session table")
        origin = self.origin(root, owner)
        if origin.kind != "session" or origin.strength != "strong":
            # The text names the table only once its constants are read
            # (f"... FROM {TABLE}"): the query as read is the source.
            root = cst.SimpleString(repr(sql))
        return Subject(f"{id(owner)}:{shown}", True, root, owner, described)

    def status_columns(self) -> frozenset[str]:
        """The session tables' status columns, as the manifest's stores name
        them, and those of the project's mapped classes that hold session
        statuses (``__tablename__ = "oc_session"`` of a class whose status
        is set from session rows: see :meth:`mapped_tables`)."""
        own = frozenset(c for store in self.manifest.stores for c in store.columns)
        mapped = self.mapped_tables()
        return own | {f"{t}.{k}" for t in mapped for k in self.facts.keys} if mapped else own

    def mapped_tables(self) -> dict[str, str]:
        """Table name -> why, for the tables of mapped classes (SQLAlchemy's
        or Django's ``__tablename__`` / ``db_table`` string) whose status
        holds session statuses: this module's classes, and those the project
        exports (``module.Class#table:name``)."""
        if self._tables is None:
            self._tables = {}
            for key, why in select(self.tree.exports, _names_table).items():
                head, marker, table = key.partition(TABLE_EXPORT)
                if marker and table and head:
                    self._tables.setdefault(table, why)
            for name, node in self.facts.classes.items():
                mapped = orm.table_name(node)
                if mapped is None or mapped in self._tables:
                    continue
                table = mapped
                self._tables[table] = ""  # a cycle (the class asks its table) knows no table yet
                found = self.class_origin(name)
                if found is not None and found.kind == "session" and found.strength == "strong":
                    self._tables[table] = f"the table of {found.why}"
                else:
                    del self._tables[table]
        return {t: why for t, why in self._tables.items() if why}

    def rows_query(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> str | None:
        """The SQL text whose result rows ``node`` is: ``con.execute(sql)``,
        its ``.fetchall()``, or a name bound once to one."""
        if depth > 6:
            return None
        if isinstance(node, cst.Await):
            node = node.expression
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if node.func.attr.value in ("fetchall", "fetchmany"):
                return self.rows_query(node.func.value, scope, depth + 1)
            if node.func.attr.value == "execute" and node.args:
                return self._sql_text(node.args[0].value, scope, depth + 1)
        if isinstance(node, cst.Name):
            owner = scope.owner_of(node.value) or scope
            value = scope.bound_once(node.value)
            if (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                    and value.func.attr.value == "cursor"):
                return self._cursor_query(node.value, owner, depth)
            return None if value is None else self.rows_query(value, owner, depth + 1)
        return None

    def _cursor_query(self, name: str, owner: Scope, depth: int) -> str | None:
        """``cur = con.cursor()``, then ``cur.execute(sql)`` once in the same
        scope: the cursor's rows are that query's."""
        executed = [
            call for call, scope in self.facts.all_calls
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "execute" and call.args
            and isinstance(call.func.value, cst.Name) and call.func.value.value == name
            and (scope.owner_of(name) or scope) is owner
        ]
        if len(executed) != 1:
            return None  # several queries: which rows are read is not known here
        return self._sql_text(executed[0].args[0].value, owner, depth + 1)

    def row_query(self, node: cst.BaseExpression, scope: Scope) -> str | None:
        """The SQL text one of whose rows ``node`` is: a loop variable over
        its rows, ``cur.fetchone()``, ``next(rows)``, or a name bound to one."""
        if isinstance(node, cst.Call):
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "fetchone":
                return self.rows_query(node.func.value, scope)
            if isinstance(node.func, cst.Name) and node.func.value == "next" and node.args:
                return self.rows_query(node.args[0].value, scope)
            return None
        if not isinstance(node, cst.Name):
            return None
        owner = scope.owner_of(node.value) or scope
        for binding in scope.lookup(node.value):
            if binding.value is None or binding.index is not None or binding.column is not None:
                continue
            if binding.kind == "for":
                return self.rows_query(binding.value, owner)
            if binding.kind in ("assign", "walrus") and isinstance(binding.value, cst.Call):
                return self.row_query(binding.value, owner)
        return None

    def sql_text(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> str | None:
        """The text of a query: a string, a name bound once to one, an
        f-string with its string constants read (any other placeholder is
        ``{}``)."""
        return self._sql_text(node, scope, depth)

    def _sql_text(self, node: cst.BaseExpression, scope: Scope, depth: int) -> str | None:
        if isinstance(node, cst.SimpleString):
            return string_value(node)
        if orm.text_clause(node) is not None:  # SQLAlchemy's text("SELECT ... WHERE status = :st")
            return self._sql_text(orm.text_clause(node), scope, depth + 1)  # type: ignore[arg-type]
        if isinstance(node, cst.FormattedString):
            # f"SELECT ... FROM {TABLE} WHERE status IN ({marks})": a constant
            # string is the text it holds; any other placeholder names no column.
            parts = []
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    parts.append(part.value)
                elif isinstance(part, cst.FormattedStringExpression):
                    held = self._sql_text(part.expression, scope, depth + 1) if depth < 6 else None
                    parts.append(held if held is not None else "{}")
            return "".join(parts)
        if isinstance(node, cst.ConcatenatedString):
            left, right = self._sql_text(node.left, scope, depth + 1), self._sql_text(node.right, scope, depth + 1)
            return None if left is None or right is None else left + right
        if isinstance(node, cst.Name) and depth < 6:
            bindings = scope.lookup(node.value)
            if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].value is not None:
                return self._sql_text(bindings[0].value, scope.owner_of(node.value) or scope, depth + 1)
        return None


def _names_table(key: str, why: str) -> bool:
    """An export of a mapped class's table (``module.Class#table:name``)."""
    return TABLE_EXPORT in key
