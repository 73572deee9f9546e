"""Dispatch tables keyed by a session status: `{...}[status]`, `TABLE.get(status)`.

A table written in place, bound to a local or held on ``self`` (assigned
once, in ``__init__``) is found here; a module-level one is a constant (see
``constant``), planned with :func:`plan_table`."""

from __future__ import annotations

import libcst as cst

from codemods.forms._common import ROWS as _ROWS
from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Verdict
from codemods.session_status import Plan, StatusRewriter
from migrator.findings import CONFIDENCES
from migrator.rules import Example, Rule
from codemods.forms._common import code as _code

ORDER = 40

# A table held on `self`, looked up with the status of a sessions_list row.
_HELD = (
    "class Watch:\n    def __init__(self):\n        self.actions = {{{}}}\n\n"
    "    def retry(self, row):\n        pass\n\n"
    "    def poll(self, client):\n        data = client.invoke(\"sessions_list\", {{}})\n"
    "        for row in data[\"sessions\"]:\n            self.actions.get(row[\"status\"], print)(row)\n"
)

RULE = Rule(
    name="status-dispatch",
    summary="A dict dispatch table keyed by session status (`HANDLERS[row[\"status\"]]`).",
    why="A table keyed by old names raises `KeyError` (or falls to the default) for every new name.",
    safety="expand adds each new key with the SAME value, only when that value is a name, an "
    "attribute or a literal (a label map's strings and numbers); any other value (a lambda, a "
    "call, a list) is listed for review, because copying it could run it twice or change "
    "identity. contract renames the keys; it reviews a table where the old and the new key map "
    "to different values.",
    invalid=(
        Example(
            'HANDLERS = {"done": archive, "failed": alerts.page}\n'
            + _ROWS + '    HANDLERS.get(row["status"], ignore)(row)\n',
            'HANDLERS = {"done": archive, "agent_responded": archive, "failed": alerts.page, '
            '"interrupted": alerts.page}\n' + _ROWS + '    HANDLERS.get(row["status"], ignore)(row)\n',
            'HANDLERS = {"agent_responded": archive, "interrupted": alerts.page}\n'
            + _ROWS + '    HANDLERS.get(row["status"], ignore)(row)\n',
        ),
        Example(
            'LABELS = {"done": "finished", "running": "busy"}\n'
            + _ROWS + '    print(LABELS[row["status"]])\n',
            'LABELS = {"done": "finished", "agent_responded": "finished", "running": "busy"}\n'
            + _ROWS + '    print(LABELS[row["status"]])\n',
            'LABELS = {"agent_responded": "finished", "running": "busy"}\n'
            + _ROWS + '    print(LABELS[row["status"]])\n',
        ),
        Example(
            _ROWS + '    print({"done": "finished", "running": "busy"}.get(row["status"], "?"))\n',
            _ROWS + '    print({"done": "finished", "agent_responded": "finished", "running": "busy"}.get(row["status"], "?"))\n',
            _ROWS + '    print({"agent_responded": "finished", "running": "busy"}.get(row["status"], "?"))\n',
        ),
        Example(
            _HELD.format('"failed": self.retry'), _HELD.format('"failed": self.retry, "interrupted": self.retry'),
            _HELD.format('"interrupted": self.retry'),
        ),
        Example(
            'ACTIONS = {"done": lambda r: archive(r)}\n'
            + _ROWS + '    ACTIONS[row["status"]](row)\n',
            None,
            'ACTIONS = {"agent_responded": lambda r: archive(r)}\n'
            + _ROWS + '    ACTIONS[row["status"]](row)\n',
        ),
    ),
    valid=(Example('HANDLERS = {"done": archive}\n\ndef on(job):\n    HANDLERS[job.state](job)\n'),),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for table, key, scope in facts.inline_dispatches:
        words = resolver.literal_words(table) or []
        if not (set(words) & rw.vocab.old):
            continue
        subject = resolver.subject(key, scope)
        if subject is None:
            continue
        verdict = resolver.verdict(subject, words, "keyed by")
        if verdict.confidence is None:
            continue
        line = facts.pos(table).start.line
        rewrite = rw.allowed(verdict) and not rw.ignored(facts, line)
        plan_table(rw, plan, facts, table, line, verdict, rewrite)
    _held_tables(rw, facts, resolver, plan)


def _held_tables(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    """Tables that are no module constant, bound to a local or held on
    ``self`` (``self.reactions = {...}`` in ``__init__``), judged by their
    lookups as a constant table is: the lowest verdict of the session ones;
    a lookup with another value makes it shared (expanded, then reviewed)."""
    uses: dict[int, tuple[cst.Dict, list[Verdict]]] = {}
    for dispatch in [*facts.dispatches, *facts.attribute_dispatches]:
        table = resolver.held_table(dispatch)
        if table is None:
            continue
        words = resolver.literal_words(table) or []
        if not (set(words) & rw.vocab.old):
            continue
        subject = resolver.subject(dispatch.key, dispatch.scope)
        line = dispatch.line or facts.pos(dispatch.key).start.line
        verdict = (
            resolver.verdict(subject, words, "keyed by") if subject is not None
            else Verdict(None, f"`{resolver.code(dispatch.key)}` (line {line}) is not a session status")
        )
        uses.setdefault(id(table), (table, []))[1].append(
            verdict if verdict.confidence is not None else Verdict(None, f"{verdict.why} (line {line})"))
    for table, verdicts in uses.values():
        ours = [v for v in verdicts if v.confidence is not None]
        if not ours:
            continue
        verdict = min(ours, key=lambda v: CONFIDENCES.index(v.confidence))  # type: ignore[arg-type,unused-ignore]
        against = [v for v in verdicts if v.confidence is None]
        line = facts.pos(table).start.line
        rewrite = rw.allowed(verdict) and not rw.ignored(facts, line)
        if against:
            # Keyed by another value too: the new keys harm no other lookup,
            # so expand adds them; contract would drop keys it still needs.
            disagree = "; ".join(v.why for v in against[:3])
            verdict = Verdict(verdict.confidence, f"{verdict.why}; but the table is also looked up with "
                              f"other values ({disagree}): " + ("split it before contract" if rw.phase == "contract"
                                                                else "contract will need it split"))
            rewrite = rewrite and rw.phase == "expand"
        plan_table(rw, plan, facts, table, line, verdict, rewrite)


def plan_table(rw: StatusRewriter, plan: Plan, facts: ModuleFacts, table: cst.Dict, line: int, verdict: Verdict, rewrite: bool) -> None:
    """A dispatch table: each key that cannot change safely is reviewed on
    its own line, saying why; the other keys change."""
    literals = rw.literals(table)
    whole, problems = table_problems(rw, table)
    if whole and rewrite:
        why = Verdict(verdict.confidence, f"{verdict.why}; left for review: {whole}")
        rw.add(plan, facts, table, line, literals, why, "status-dispatch", False, "table")
        return
    if not rewrite:
        problems = {}
    held = [lit for lit in literals if string_value(lit) in problems]
    for literal in held:
        problem = problems[string_value(literal) or ""]
        why = Verdict(verdict.confidence, f"{verdict.why}; left for review: {problem}")
        rw.add(plan, facts, table, line, [literal], why, "status-dispatch", False, "table", literals)
    if held:
        plan.held[id(table)] = frozenset(problems)
    rest = [lit for lit in literals if lit not in held]
    rw.add(plan, facts, table, line, rest, verdict, "status-dispatch", rewrite, "table", literals)


def table_problems(rw: StatusRewriter, table: cst.Dict) -> tuple[str | None, dict[str, str]]:
    """Why a dispatch table cannot change safely in this phase: a reason
    for the whole table, and one per old key that must stay as it is."""
    entries = {string_value(e.key): e for e in table.elements if isinstance(e, cst.DictElement)}
    if len(entries) != len(table.elements):
        return "the table repeats a key (the last one wins)", {}
    problems: dict[str, str] = {}
    for old, new in rw.vocab.old_to_new.items():
        entry = entries.get(old)
        if entry is None:
            continue
        if new in entries:
            if rw.phase == "contract" and _code(entries[new].value) != _code(entry.value):
                problems[old] = f"`{old}` and `{new}` map to different values"
            continue
        if rw.phase == "expand" and not _copyable(entry.value):
            shown = _code(entry.value).strip()
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            problems[old] = f"the value for `{old}` (`{shown}`) is an expression; copying it could run it twice"
    return None, problems


def _copyable(value: cst.BaseExpression) -> bool:
    """A dispatch value that can stand twice without running anything twice:
    a name, an attribute, or a literal (a label map's strings and numbers)."""
    if isinstance(value, (cst.Name, cst.Attribute, cst.SimpleString, cst.Integer, cst.Float)):
        return True
    return isinstance(value, cst.ConcatenatedString) or (
        isinstance(value, cst.UnaryOperation) and isinstance(value.expression, (cst.Integer, cst.Float))
    )
