"""SQL text read as text: the table and the columns of a one-table ``SELECT``
(``select_list``) and the columns a query tests or writes with ``?``
parameters (``parameter_tests``)."""

from __future__ import annotations

import re
from dataclasses import dataclass


_SELECT = re.compile(r"(?is)\bselect\s+(?:distinct\s+)?(.+?)\s+from\s+([\w\"`\[\]]+)")


def select_list(sql: str) -> tuple[str, list[str]] | None:
    """The table and the column names of a one-table ``SELECT`` (``SELECT
    session_key, n.status AS st FROM session_nodes n`` -> ``("session_nodes",
    ["session_key", "status"])``); None for a join, a ``*`` or anything else."""
    found = _SELECT.search(sql)
    if found is None or re.search(r"(?i)\bjoin\b", sql) or re.match(r"\s*(?:\w+\s*)?,", sql[found.end(2):]):
        return None
    columns, depth, current = [], 0, ""
    for char in found.group(1):
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            columns.append(current)
            current = ""
        else:
            current += char
    columns.append(current)
    names = []
    for column in columns:
        text = re.split(r"(?i)\s+as\s+", column.strip())[0].strip()
        if text == "*" or text.endswith(".*"):
            return None
        # An expression (`count(*)`, `json_extract(...)`) holds no column of its own.
        names.append(text.rsplit(".", 1)[-1].strip("\"`[]") if re.fullmatch(r"[\w.\"`\[\]]+", text) else "")
    return found.group(2).strip("\"`[]"), names


_TABLE = re.compile(r"(?i)\b(?:from|update|into)\s+[\"`\[]?(\w+)")


_PLACEHOLDER_TEST = re.compile(
    r"(?i)(?:\b\w+\.)?\b(?P<column>\w+)[\"`\]]?\s*"
    r"(?P<op>(?:not\s+)?in\s*\(\s*(?P<listed>[^()]*?)\s*\)|(?:==?|!=|<>)\s*(?P<single>\?))")


@dataclass(frozen=True)
class ParameterTest:
    """A test of a column with bound parameters in a query's text: the
    table, the column, the indices of its placeholders among the query's,
    how many the query has, and whether its list is generated (``IN ({})``:
    an f-string placeholder, not ``?`` written by hand)."""

    table: str
    column: str
    indices: tuple[int, ...]
    total: int
    generated: bool
    # A value written, not tested: `SET status = ?`, `INSERT ... (status) VALUES (?)`.
    writes: bool = False
    # Where the test's operator and placeholders stand in the text
    # (`IN (?, ?)`, `= ?`), for a test of placeholders written by hand.
    span: tuple[int, int] = (0, 0)


_SET = re.compile(r"(?is)\bset\b(.*?)(?:\bwhere\b|$)")


_INSERT = re.compile(r"(?is)\binsert\s+(?:or\s+\w+\s+)?into\s+[\"`\[]?\w+[\"`\]]?\s*\(([^()]*)\)\s*values\s*\(([^()]*)\)")


def parameter_tests(sql: str) -> list[ParameterTest]:
    """The columns a query tests against ``?`` parameters (``WHERE status IN
    (?, ?)``, ``status = ?``, ``status IN ({marks})``), or writes from one
    (``SET status = ?``, ``INSERT ... (key, status) VALUES (?, ?)``), for a
    query of one table."""
    table = _TABLE.search(sql)
    if table is None or re.search(r"(?i)\bjoin\b", sql):
        return []
    out = []
    setting = _SET.search(sql) if re.match(r"(?is)\s*update\b", sql) else None
    inserted = _INSERT.search(sql)
    if inserted is not None:
        columns = [c.strip().strip("\"`[]") for c in inserted.group(1).split(",")]
        values = [v.strip() for v in inserted.group(2).split(",")]
        before = sql[:inserted.start(2)].count("?")
        if len(columns) == len(values) and all(v == "?" for v in values):
            out += [ParameterTest(table.group(1), c, (before + i,), sql.count("?"), False, True)
                    for i, c in enumerate(columns)]
    for found in _PLACEHOLDER_TEST.finditer(sql):
        before = sql[:found.start()].count("?")
        listed, column, span = found.group("listed"), found.group("column"), found.span("op")
        if found.group("single") is not None:
            writes = setting is not None and setting.start(1) <= found.start() < setting.end(1)
            out.append(ParameterTest(table.group(1), column, (before,), sql.count("?"), False, writes, span))
        elif listed is not None and listed and all(p.strip() == "?" for p in listed.split(",")):
            count = len(listed.split(","))
            out.append(ParameterTest(table.group(1), column, tuple(range(before, before + count)),
                                     sql.count("?"), False, span=span))
        elif listed == "{}":
            out.append(ParameterTest(table.group(1), column, (), sql.count("?"), True))
    return out
