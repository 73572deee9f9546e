"""The data the provenance works on: the shared constants (call and method
names that carry a value through, copy it or queue it) and the data classes
(a binding, a scope, a comparison and the other forms one pass collects, a
subject, an origin, what the rest of the tree knows, a verdict)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import libcst as cst

from codemods import orm, tables
from codemods.sites import Validator
from codemods.verdict import Verdict as Verdict  # its home; named here as the provenance's own


NORMALIZERS = frozenset({"lower", "strip", "casefold", "lstrip", "rstrip"})
MARK_STATUS = "session-status"
# Calls whose result is their first argument decoded: provenance flows through.
DECODERS = frozenset({"load", "loads", "raw_decode", "read", "read_text", "parse", "decode", "dict", "list", "json"})
# Calls whose result stands for their first argument's file or rows: a path
# opened, globbed or wrapped keeps naming what it names.
# Class methods that build an instance: SessionRow.from_row(row).
_CONSTRUCTORS = ("from", "parse", "load", "model_validate", "construct", "create", "build")
# Calls that send, encode or wrap a payload: what they return answers it.
_TRANSPORTS = frozenset({
    "Request", "urlopen", "request", "post", "get", "put", "invoke", "call", "fetch", "dumps", "encode",
    "send_json", "send", "recv", "ws_call", "rpc",
})
_LITERALS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.List, cst.Tuple, cst.Dict)
# Keywords whose strings are words for people (argparse's description and
# help, a dialog's title): they name no source of what the call returns.
_PROSE = frozenset({"description", "epilog", "help", "usage", "prog", "title"})
# Calls that run a command line: their output is what the command prints.
_COMMANDS = frozenset({"run", "check_output", "Popen", "getoutput", "split"})
# Functions that copy a record with some fields replaced (by their module's
# dotted name, whatever alias imports them), and methods that do, given the
# fields by keyword or, for pydantic, as an ``update`` dict.
COPIERS = frozenset({"dataclasses.replace", "attrs.evolve", "attr.evolve", "attrs.assoc", "attr.assoc", "copy.replace"})
_COPY_METHODS = frozenset({"_replace", "model_copy", "copy"})
# Calls that build a table of rows: pd.DataFrame(rows),
# DataFrame.from_dict(store), pd.read_json(path) (pandas), pl.from_dicts(rows)
# (polars), pa.Table.from_pylist(rows) (pyarrow). A column's `==` compares
# element by element (see codemods.forms.column_compare).
TABLES = frozenset({"DataFrame", "from_dict", "from_records", "json_normalize", "read_json", "read_csv", "read_sql",
                    "read_sql_query", "read_parquet", "LazyFrame", "from_dicts", "read_ndjson", "scan_ndjson",
                    "scan_parquet", "from_pandas", "from_arrow", "from_pylist", "from_pydict", "read_table"})
PASS_THROUGH = frozenset({"open", "Path", "PurePath", "glob", "iglob", "rglob", "sorted", "reversed", "iter",
                          "tuple", "next"}) | TABLES
# Methods that test membership in their argument: df["status"].isin([...])
# (pandas), pl.col("status").is_in([...]) (polars).
# SQLAlchemy's (and peewee's) column operators: Row.status.in_([...]), .not_in([...]).
MEMBERSHIP_METHODS = tables.MEMBERSHIP | orm.COLUMN_MEMBERSHIP
NEGATED_MEMBERSHIP = orm.NEGATED
# A queue's methods (asyncio, queue, multiprocessing): what is got from it is what was put.
# Calls that copy an iterable's items into a new list, in order or sorted.
_COPIES = frozenset({"list", "tuple", "sorted", "reversed"})
_QUEUE_PUTS = frozenset({"put", "put_nowait"})
# Methods that fill a list held by an attribute (`ctx.sessions.extend(rows)`).
_FILLS = frozenset({"extend", "append"})
_QUEUE_GETS = frozenset({"get", "get_nowait"})
_STATUS_WORD = re.compile(r"\b(?:status|statuses|state)\b", re.IGNORECASE)


@dataclass
class Binding:
    kind: str  # assign | for | with | param | import | walrus
    value: cst.BaseExpression | None
    line: int
    marked: bool = False
    annotation: cst.BaseExpression | None = None
    # ``key, row = newest(store)``: the name holds item ``index`` of ``value``.
    index: int | None = None
    # ``for key, status in con.execute("SELECT ...")``: the name holds column
    # ``column`` of each row of ``value``.
    column: int | None = None


@dataclass
class Scope:
    node: cst.CSTNode
    parent: "Scope | None"
    bindings: dict[str, list[Binding]] = field(default_factory=dict)

    def lookup(self, name: str) -> list[Binding]:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.bindings:
                return scope.bindings[name]
            scope = scope.parent
        return []

    def owner_of(self, name: str) -> "Scope | None":
        scope: Scope | None = self
        while scope is not None:
            if name in scope.bindings:
                return scope
            scope = scope.parent
        return None

    def bound_once(self, name: str) -> cst.BaseExpression | None:
        """What ``name`` is bound to where it is seen from here, when it is
        bound once, by a plain assignment (not unpacked, not in a loop)."""
        bindings = self.lookup(name)
        if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].index is None:
            return bindings[0].value
        return None


@dataclass
class Comparison:
    """One comparison of a subject with string literals, as collected, or
    the membership test a validating helper makes (``through`` names it:
    ``one_of(row["status"], {...})`` tests ``row["status"] in {...}``)."""

    node: cst.Comparison | cst.Call
    subject: cst.BaseExpression
    op: cst.BaseCompOp
    other: cst.BaseExpression  # the literal, collection or name compared with
    scope: Scope
    line: int
    through: str | None = None


@dataclass
class MatchStatement:
    """A ``match`` whose cases test string literals."""

    node: cst.Match
    subject: cst.BaseExpression
    scope: Scope
    line: int


@dataclass
class Dispatch:
    """``TABLE[key]`` / ``TABLE.get(key)``: a lookup keyed by an expression."""

    table: str
    key: cst.BaseExpression
    scope: Scope
    line: int
    node: cst.Name | None = None


@dataclass
class LiteralType:
    """A ``Literal[...]`` of strings, and the name it annotates (if any)."""

    node: cst.Subscript
    owner: str
    scope: Scope
    line: int


@dataclass
class EnumClass:
    """An ``Enum`` subclass whose members are string literals."""

    node: cst.ClassDef
    name: str
    members: list[tuple[str, cst.SimpleString]]
    line: int
    # A Django ``TextChoices`` / ``IntegerChoices``: its members may be
    # ``value, label`` tuples (the member's literal is the value), and its
    # ``.values`` / ``.choices`` are what a model field accepts.
    choices: bool = False


@dataclass(frozen=True)
class Subject:
    """What a compared expression is: a key for "same subject" checks, and a
    description of how it reads the status."""

    key: str
    is_status: bool  # reads the manifest's field (row["status"], .get, .status)
    root: cst.BaseExpression | None
    scope: Scope
    description: str
    marked: bool = False
    # Why it is known to hold no session status (a column of another table).
    apart: str = ""


@dataclass(frozen=True)
class Origin:
    kind: str  # session | foreign | mixed (both, at different call sites) | unknown
    strength: str  # strong | weak
    why: str


_UNKNOWN = Origin("unknown", "weak", "")


@dataclass(frozen=True)
class TreeKnowledge:
    """What the rest of the project says about this module's names: the
    module's own dotted name, and the project's functions that return session
    rows and classes built from session statuses (dotted name -> chain)."""

    module: str = ""
    is_package: bool = False
    display: str = ""
    exports: Mapping[str, str] = field(default_factory=dict)
    # What other modules pass this module's functions: function name ->
    # ``(parameter index or keyword, origin kind, strength, call site, why)``
    # per argument.
    passed: Mapping[str, Sequence[tuple[str, str, str, str, str]]] = field(default_factory=dict)
    # The project's validating helpers other modules define (dotted name ->
    # parameters): a call of one imported here is a membership test.
    validators: Mapping[str, Validator] = field(default_factory=dict)
    # Constants of the project's modules that name a session command's
    # program (dotted name -> program): `[settings.OPENCLAW_BIN, *args]`.
    programs: Mapping[str, str] = field(default_factory=dict)
    # The str-valued session enums of other modules this run migrates
    # (dotted name -> ``MEMBER=old`` by space): a test with a member here
    # must accept the member's new name between the phases.
    enums: Mapping[str, str] = field(default_factory=dict)


# The export key of item N of the tuples a function returns: `pkg.mod.wait[0]`.
_ITEM = "[{}]"
