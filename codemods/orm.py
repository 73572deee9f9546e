"""Django ORM shapes: which model a queryset expression is of, the status a
manager call writes, and the keyword lookups a queryset call filters by.

A model's rows are what its writers put there: ``Mirror.objects.update_or_create(
key=..., defaults={"status": row["status"]})`` with a session row makes
``Mirror.status`` a session status, and then ``Mirror.objects.filter(status="killed")``
(or ``status__in=[...]``) compares it with an old name.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Callable, Iterator, Mapping, Protocol, Sequence

if TYPE_CHECKING:  # the site test imports this module on the stdlib ast alone: LibCST is slow to import
    import libcst as cst

# The manager every model has unless it names its own, and its internal alias.
MANAGERS = frozenset({"objects", "_default_manager"})
# Queryset and manager methods that filter by keyword lookups (not
# get_or_create / update_or_create: their lookups are also the created row's
# fields, and a `status__in` one would leave it without a status).
READS = frozenset({"filter", "exclude", "get"})
# Manager and queryset methods that store their keywords (or ``defaults``) as fields.
WRITES = frozenset({"create", "update", "update_or_create", "get_or_create", "bulk_update"})
# The keywords of a write that hold a dict of fields.
DEFAULTS = frozenset({"defaults", "create_defaults"})
# Lookups that test a field's value for equality or membership: ``status``,
# ``status__exact``, ``status__iexact``, ``status__in``.
LOOKUPS = frozenset({"", "exact", "iexact", "in"})
# Queryset methods whose result is another queryset of the same model.
_CHAINS = frozenset({
    "all", "filter", "exclude", "order_by", "select_related", "prefetch_related", "distinct", "only", "defer",
    "annotate", "using", "select_for_update", "reverse", "none",
})


# SQLAlchemy (1.4 / 2.0): the statements that write rows of a mapped class
# (``update(Row)``, ``insert(Row)``, the dialects' ``insert``), the methods a
# statement chains before or after its ``.values(...)``, and the session
# methods that fetch one instance of the class they are given.
STATEMENTS = frozenset({"update", "insert"})
_STATEMENT_CHAINS = frozenset({
    "where", "filter", "filter_by", "values", "returning", "execution_options", "prefix_with", "with_dialect_options",
    "on_conflict_do_update", "on_conflict_do_nothing", "on_duplicate_key_update", "inline", "ordered_values",
})
FETCHES = frozenset({"get", "get_one"})
# A column's membership operators (`Row.status.in_([...])`, also peewee's), the
# negated ones, and the query methods that filter by keyword equality.
COLUMN_MEMBERSHIP = frozenset({"in_", "not_in", "notin_"})
NEGATED = frozenset({"not_in", "notin_"})
KEYWORD_FILTERS = frozenset({"filter_by"})
# What a query of one mapped class is built from (``select(Row)``,
# ``db.query(Row)``, Flask-SQLAlchemy's ``Row.query``) and the methods that
# keep it a query of that class alone (a join would make ``filter_by`` test
# the joined class: not followed).
_QUERIES = frozenset({"select", "query"})
_QUERY_CHAINS = frozenset({
    "where", "filter", "filter_by", "order_by", "limit", "offset", "options", "distinct", "group_by", "having",
    "execution_options", "with_for_update", "params",
})


class _Scope(Protocol):
    def lookup(self, name: str) -> Sequence[object]: ...


def model_of(node: cst.BaseExpression, scope: _Scope, depth: int = 0, seen: frozenset[str] = frozenset()) -> str | None:
    """The model class a queryset expression is of: ``Mirror.objects``,
    ``Mirror.objects.order_by(...)``, a name bound to one (``qs = qs.filter(...)``
    keeps the model its other bindings name), a slice of one; else None."""
    import libcst as cst

    if depth > 8:
        return None
    if isinstance(node, cst.Attribute) and node.attr.value in MANAGERS:
        if isinstance(node.value, cst.Name) and node.value.value[:1].isupper():
            return node.value.value
        if isinstance(node.value, cst.Attribute) and node.value.attr.value[:1].isupper():
            return node.value.attr.value  # models.Mirror.objects
        return None
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _CHAINS:
        return model_of(node.func.value, scope, depth + 1, seen)
    if isinstance(node, cst.Subscript):
        return model_of(node.value, scope, depth + 1, seen)
    if isinstance(node, cst.Name) and node.value not in seen:
        found: set[str] = set()
        for binding in scope.lookup(node.value):
            value = getattr(binding, "value", None)
            if getattr(binding, "kind", "") != "assign" or value is None:
                return None
            model = model_of(value, scope, depth + 1, seen | {node.value})
            if model is not None:
                found.add(model)
            elif not _refers_to(value, node.value):
                return None  # bound to something else too: not known
        return found.pop() if len(found) == 1 else None
    return None


def _refers_to(node: cst.BaseExpression, name: str) -> bool:
    """Whether ``node`` is a chain on ``name`` itself (``qs.filter(...)``)."""
    import libcst as cst

    while isinstance(node, (cst.Call, cst.Attribute, cst.Subscript)):
        node = node.func if isinstance(node, cst.Call) else node.value
    return isinstance(node, cst.Name) and node.value == name


def written_fields(call: cst.Call, fields: frozenset[str]) -> Iterator[cst.BaseExpression]:
    """The values a manager write stores in ``fields``: its keywords, and the
    entries of its ``defaults`` dict (``update_or_create``)."""
    import libcst as cst

    from codemods.literals import string_value

    for arg in call.args:
        if arg.keyword is None:
            continue
        if arg.keyword.value in fields:
            yield arg.value
        elif arg.keyword.value in DEFAULTS and isinstance(arg.value, cst.Dict):
            for element in arg.value.elements:
                if isinstance(element, cst.DictElement) and string_value(element.key) in fields:
                    yield element.value


def lookup_field(keyword: str) -> tuple[str, str] | None:
    """``status__in`` -> ``("status", "in")``; None for a lookup that is not
    an equality or membership test (``status__startswith``, a related field)."""
    field, _, lookup = keyword.partition("__")
    return (field, lookup) if lookup in LOOKUPS else None


def lookup_site(node: ast.Call, fields: frozenset[str], holds_old: Callable[[ast.AST], bool]) -> bool:
    """On the stdlib ``ast``, for the site test: a queryset call filtering
    a status field by a literal holding an old name (``.filter(status="killed")``)."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in READS):
        return False
    for keyword in node.keywords:
        found = lookup_field(keyword.arg) if keyword.arg is not None else None
        if found is not None and found[0] in fields and holds_old(keyword.value):
            return True
    return False


# Django's enumeration types (django.db.models.enums): their members are
# ``VALUE = "value", "Label"`` (or a bare value) and their ``.choices`` /
# ``.values`` fill a model field's ``choices``.
CHOICES_BASES = frozenset({"TextChoices", "IntegerChoices", "Choices"})


def is_choices_base(name: str) -> bool:
    """``models.TextChoices``, ``TextChoices``, ``enums.Choices``."""
    return name.rsplit(".", 1)[-1] in CHOICES_BASES


def choice_value(value: cst.BaseExpression) -> cst.BaseExpression:
    """A choice member's value: the first item of ``"done", "Done"``, or the value itself."""
    import libcst as cst

    if isinstance(value, cst.Tuple) and value.elements:
        return value.elements[0].value
    return value


def choices_fields(node: cst.ClassDef, fields: frozenset[str]) -> Iterator[tuple[str, str]]:
    """``(field, enum)`` for each field of a model class whose ``choices``
    come from an enumeration: ``status = models.CharField(choices=Status.choices)``."""
    import libcst as cst

    for statement in node.body.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if not (isinstance(small, cst.Assign) and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name) and small.targets[0].target.value in fields
                    and isinstance(small.value, cst.Call)):
                continue
            for arg in small.value.args:
                value = arg.value
                if (arg.keyword is not None and arg.keyword.value == "choices" and isinstance(value, cst.Attribute)
                        and value.attr.value == "choices" and isinstance(value.value, cst.Name)):
                    yield small.targets[0].target.value, value.value.value


def _entity(node: cst.BaseExpression) -> str | None:
    """A mapped class as an argument: ``Row``, ``models.Row``."""
    import libcst as cst

    name = cst.helpers.get_full_name_for_node(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
    return name if name and name.rsplit(".", 1)[-1][:1].isupper() else None


def statement_model(call: cst.Call) -> str | None:
    """The mapped class whose rows a SQLAlchemy ``.values(...)`` call writes:
    ``update(Row).where(...).values(status=...)``, ``insert(Row).values(...)``,
    ``sa.update(models.Row)``; else None."""
    import libcst as cst

    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "values"):
        return None
    node: cst.BaseExpression = func.value
    for _ in range(12):
        if not isinstance(node, cst.Call):
            return None
        name = cst.helpers.get_full_name_for_node(node.func) or ""
        if name.rsplit(".", 1)[-1] in STATEMENTS and not isinstance(node.func, cst.Attribute) or (
                isinstance(node.func, cst.Attribute) and node.func.attr.value in STATEMENTS
                and isinstance(node.func.value, cst.Name) and not node.func.value.value[:1].isupper()):
            if node.args and not node.args[0].star and node.args[0].keyword is None:
                return _entity(node.args[0].value)
            return None
        if not (isinstance(node.func, cst.Attribute) and node.func.attr.value in _STATEMENT_CHAINS):
            return None
        node = node.func.value
    return None


def fetched_model(call: cst.Call) -> str | None:
    """The mapped class of the instance a SQLAlchemy session fetches by key:
    ``db.get(Row, key)``, ``session.get_one(models.Row, key)``; else None."""
    import libcst as cst

    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value in FETCHES and len(call.args) >= 2):
        return None
    first = call.args[0]
    if first.star or first.keyword is not None:
        return None
    return _entity(first.value)


def column_site(
    node: ast.Call, fields: frozenset[str], holds_old: Callable[[ast.AST], bool], constants: set[str]
) -> bool:
    """On the stdlib ``ast``, for the site test: a SQLAlchemy test or write of
    a status column with an old name: ``Row.status.in_(["failed"])`` (or a
    constant), ``.filter_by(status="done")``, ``.values(status="failed")``,
    ``execute(text("... :st"), {"st": "timeout"})``."""
    func = node.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in COLUMN_MEMBERSHIP and len(node.args) == 1 and isinstance(func.value, ast.Attribute) \
            and func.value.attr in fields:
        arg = node.args[0]
        return holds_old(arg) or (isinstance(arg, ast.Name) and arg.id in constants)
    if func.attr in ("values", "update"):
        # .values({"status": "failed"}), .update({Row.status: "killed"})
        for held in [*node.args[:1], *(k.value for k in node.keywords if k.arg == "values")]:
            if isinstance(held, ast.Dict) and any(
                    holds_old(v) and ((isinstance(k, ast.Constant) and k.value in fields)
                                      or (isinstance(k, ast.Attribute) and k.attr in fields))
                    for k, v in zip(held.keys, held.values)):
                return True
    if func.attr in KEYWORD_FILTERS or func.attr == "values":
        return any(k.arg in fields and holds_old(k.value) for k in node.keywords)
    if func.attr == "execute" and len(node.args) >= 2 and isinstance(node.args[1], ast.Dict):
        return any(holds_old(v) for v in node.args[1].values)
    return False


def query_model(node: cst.BaseExpression, depth: int = 0) -> str | None:
    """The mapped class a SQLAlchemy query is of, where it selects that class
    alone: ``select(Row)``, ``db.query(Row)``, ``Row.query``, and any chain of
    them that keeps it (``.where(...)``, ``.order_by(...)``); else None."""
    import libcst as cst

    if depth > 12:
        return None
    if isinstance(node, cst.Attribute) and node.attr.value == "query":
        return _entity(node.value)  # Flask-SQLAlchemy's Row.query
    if not isinstance(node, cst.Call):
        return None
    func = node.func
    name = (cst.helpers.get_full_name_for_node(func) or "").rsplit(".", 1)[-1]
    if name in _QUERIES and not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call)):
        if len(node.args) == 1 and not node.args[0].star and node.args[0].keyword is None:
            return _entity(node.args[0].value)
        return None
    if isinstance(func, cst.Attribute) and func.attr.value in _QUERY_CHAINS:
        return query_model(func.value, depth + 1)
    return None


# SQLAlchemy's raw SQL wrapper: text("SELECT ... WHERE status = :st").
_TEXT = frozenset({"text"})
# What names a mapped class's table: SQLAlchemy's ``__tablename__``, and
# Django's ``db_table`` (of its ``Meta``).
_TABLE_NAMES = frozenset({"__tablename__", "db_table"})


def text_clause(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """The SQL of ``text(sql)`` / ``sa.text(sql)`` (and of ``.bindparams(...)``
    on one), else None."""
    import libcst as cst

    if not isinstance(node, cst.Call):
        return None
    func = node.func
    if isinstance(func, cst.Attribute) and func.attr.value in ("bindparams", "columns"):
        return text_clause(func.value)
    name = (cst.helpers.get_full_name_for_node(func) or "").rsplit(".", 1)[-1]
    if name in _TEXT and len(node.args) == 1 and not node.args[0].star and node.args[0].keyword is None:
        return node.args[0].value
    return None


def table_name(node: cst.ClassDef) -> str | None:
    """The table a mapped class names: ``__tablename__ = "oc_session"`` in
    its body (or ``db_table`` in a nested ``Meta``), else None."""
    import libcst as cst

    from codemods.literals import string_value

    for statement in node.body.body:
        if isinstance(statement, cst.ClassDef) and statement.name.value == "Meta":
            found = table_name(statement)
            if found is not None:
                return found
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else (
                [small.target] if isinstance(small, cst.AnnAssign) else [])
            value = small.value if isinstance(small, (cst.Assign, cst.AnnAssign)) else None
            if value is not None and any(isinstance(t, cst.Name) and t.value in _TABLE_NAMES for t in targets):
                return string_value(value)
    return None


# The bases and markers of a mapped class: SQLAlchemy's ``__tablename__`` /
# ``__table__``, SQLModel's ``table=True``, Flask-SQLAlchemy's ``db.Model``.
_MAPPED_NAMES = frozenset({"__tablename__", "__table__"})


def is_mapped(node: cst.ClassDef, classes: Mapping[str, cst.ClassDef], depth: int = 0) -> bool:
    """Whether a class is an ORM-mapped class, whose attributes on the class
    are columns (``Seat.status == "killed"`` builds SQL): it names its table,
    is a SQLModel table, derives from Flask-SQLAlchemy's ``db.Model``, or from
    a mapped class of ``classes`` (single-table inheritance)."""
    import libcst as cst

    if depth > 6:
        return False
    for arg in node.bases:
        name = cst.helpers.get_full_name_for_node(arg.value) or ""
        if name.endswith(".Model") or (name in classes and is_mapped(classes[name], classes, depth + 1)):
            return True
    if any(k.keyword is not None and k.keyword.value == "table" and isinstance(k.value, cst.Name)
           and k.value.value == "True" for k in node.keywords):
        return True
    for statement in node.body.body:
        for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
            targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else (
                [small.target] if isinstance(small, cst.AnnAssign) else [])
            if any(isinstance(t, cst.Name) and t.value in _MAPPED_NAMES for t in targets):
                return True
    return False
