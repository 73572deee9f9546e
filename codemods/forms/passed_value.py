"""One session status passed to a function that compares a session status
with its parameter: `ended(rows, "failed")` where `ended` tests
`r["status"] == status`, or binds it to `WHERE status = ?` of a session
table; in this module or, through the project's exports, in another.

The parameter holds one value: a call cannot pass both names, so, as a
writer, the literal is kept in expand (noted as contract pending) and
renamed in contract, when the data speaks the new names. The parameter's
default (`status="failed"`) is such a value too, and so is each item of a
loop over literal tuples (`for status, colour in [("done", "green")]`)
compared as that parameter would be. So is what the calls of a class pass
its constructor for a parameter the instance keeps as it is (`self.target =
target`) and a method compares a session status with (`== self.target`). And
so is an old name passed for a parameter the function's other callers give a
session status (`self._emit(key, "killed")` beside `self._emit(key,
row.get("status"))`), whatever the function does with it: send it to a
signal's receivers, store it, compare it."""

from __future__ import annotations

import libcst as cst

from codemods.provenance import stored_columns
from codemods.forms.held_collection import _verdict, export_rank, tested_arguments
from codemods.forms.sql_parameter import bound_names
from codemods.forms.writer import write
from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Scope, Verdict, _argument
from codemods.provenance.nodes import _decorated
from codemods.session_status import Plan, StatusRewriter
from codemods.words import VALUE_EXPORT
from migrator.rules import Example, Rule

ORDER = 46

_ENDED = (
    'import json\nimport subprocess\n\n\ndef ended(status):\n'
    '    out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True).stdout\n'
    '    return [r for r in json.loads(out)["sessions"] if r["status"] == status]\n\n\n'
    'print(ended("{}"))\n'
)
_LOST = (
    'def lost(con, status, since):\n'
    '    return con.execute("SELECT session_key FROM session_windows WHERE status = ? AND ended_at >= ?", '
    '(status, since)).fetchall()\n\n\nprint(lost(con, "{}", 0))\n'
)
_LOOP = (
    'data = client.invoke("sessions_list", {{}})\n'
    'for status, colour in [("{}", "green"), ("{}", "orange")]:\n'
    '    print(colour, [r["key"] for r in data["sessions"] if r["status"] == status])\n'
)

_ALARM = (
    'import sqlite3\n\n\nclass Alarm:\n    def __init__(self, key, target):\n        self.key = key\n'
    '        self.target = target\n\n    def rings(self, con):\n'
    '        row = con.execute("SELECT status FROM session_nodes WHERE session_key = ?", (self.key,)).fetchone()\n'
    '        return row is not None and row[0] == self.target\n\n\nalarm = Alarm("agent:main:main", "{}")\n'
)

_EMIT = (
    'import json\nimport subprocess\n\n\ndef _emit(key, status):\n    print(key, status)\n\n\n'
    'out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True).stdout\n'
    'for row in json.loads(out)["sessions"]:\n    _emit(row["key"], row["status"])\n'
    '_emit("agent:main:main", "{}")\n'
)

RULE = Rule(
    name="status-passed-value",
    summary="One session status given to a name a session status is compared with: a parameter, a loop's item.",
    why="`ended(rows, \"failed\")` selects nothing once the gateway writes `interrupted`: the name "
    "changes where it is passed.",
    safety="One value cannot accept both names: kept in expand (contract pending), renamed in contract, "
    "as a writer is. Only literals passed for a parameter the function compares with a session status "
    "(of a known source), binds to a session table's `status = ?`, or is given a session status by its "
    "other callers.",
    invalid=(
        Example(_ENDED.format("failed"), None, _ENDED.format("interrupted")),
        Example(_LOST.format("timeout"), None, _LOST.format("waiting_for_response")),
        Example(_LOOP.format("done", "timeout"), None, _LOOP.format("agent_responded", "waiting_for_response")),
        # Given to a class's constructor, kept as `self.target`, compared in a method.
        Example(_ALARM.format("killed"), None, _ALARM.format("halted")),
        # Passed where the function's other callers pass a session row's status.
        Example(_EMIT.format("killed"), None, _EMIT.format("halted")),
    ),
    valid=(
        Example('class Alarm:\n    def __init__(self, state):\n        self.state = state\n\n'
                '    def rings(self, job):\n        return job["state"] == self.state\n\n\nalarm = Alarm("failed")\n'),
        # A job queue's own state, compared the same way.
        Example('def over(jobs, state):\n    return [j for j in jobs if j["state"] == state]\n\n\n'
                'print(over(load_jobs(), "failed"))\n'),
        # A subagent run's outcome: another vocabulary.
        Example('import json\n\n\ndef runs(path, status):\n'
                '    data = json.load(open(path))["runs"]\n'
                '    return [k for k, run in data.items() if run["outcome"]["status"] == status]\n\n\n'
                'print(runs("subagents/runs.json", "timeout"))\n'),
    ),
)


def compared_parameters(facts: ModuleFacts, resolver: Resolver) -> list[tuple[cst.FunctionDef, str, Verdict]]:
    """``(function, parameter, verdict)`` of each parameter of a module-level
    function that a session status is compared with (``==`` / ``!=``) or
    that is bound to a session table's ``status = ?``."""
    probes: list[tuple[cst.Name, Scope, Verdict]] = []
    for comparison in facts.comparisons:
        if comparison.through is None and isinstance(comparison.op, (cst.Equal, cst.NotEqual)) \
                and isinstance(comparison.other, cst.Name):
            probes.append((comparison.other, comparison.scope, _verdict(resolver, comparison, [])))
    for name, scope, why in bound_names(facts, resolver):
        probes.append((name, scope, Verdict("certain", why)))
    out: list[tuple[cst.FunctionDef, str, Verdict]] = []
    for name, scope, verdict in probes:
        if verdict.confidence is None:
            continue
        owner = scope.owner_of(name.value)
        function = owner.node if owner is not None else None
        if not isinstance(function, cst.FunctionDef) or facts.functions.get(function.name.value) is not function:
            continue
        bindings = owner.bindings[name.value] if owner is not None else []
        if len(bindings) != 1 or bindings[0].kind != "param":
            continue  # rebound in the body: not only what the caller passes
        out.append((function, name.value, verdict))
    return out


def constructor_values(facts: ModuleFacts, resolver: Resolver) -> list[tuple[str, cst.FunctionDef, str, Verdict]]:
    """``(class, __init__, parameter, verdict)`` of each constructor parameter
    an instance keeps as it is (``self.target = target``, its one assignment)
    and a method compares a session status with (``== self.target``): what
    the calls of the class pass for it is one compared value."""
    out: list[tuple[str, cst.FunctionDef, str, Verdict]] = []
    for comparison in facts.comparisons:
        other = comparison.other
        if comparison.through is not None or not isinstance(comparison.op, (cst.Equal, cst.NotEqual)) \
                or not (isinstance(other, cst.Attribute) and isinstance(other.value, cst.Name)):
            continue
        function = comparison.scope.node
        cls = facts.method_class.get(id(function)) if isinstance(function, cst.FunctionDef) else None
        init = facts.functions.get(f"{cls}.__init__") if cls in facts.classes else None
        if cls is None or init is None or not isinstance(function, cst.FunctionDef) \
                or not function.params.params or function.params.params[0].name.value != other.value.value:
            continue  # not the method's own instance, or a class without its own constructor
        assigned = resolver._assigned_attribute(cls, other.attr.value)
        if len(assigned) != 1 or assigned[0][1] != "__init__" or not isinstance(assigned[0][0], cst.Name):
            continue  # changed elsewhere too, or not a parameter as passed
        param = assigned[0][0].value
        names = [p.name.value for p in (*init.params.posonly_params, *init.params.params, *init.params.kwonly_params)]
        scope = facts.attribute_scopes.get(id(assigned[0][0]))
        if param not in names[1:] or scope is None or len(scope.bindings.get(param, ())) != 1:
            continue  # rebound in the constructor: not only what the caller passes
        verdict = _verdict(resolver, comparison, [])
        if verdict.confidence is not None:
            out.append((cls, init, param, Verdict(verdict.confidence, f"kept as `self.{other.attr.value}`, "
                                                  f"{verdict.why}")))
    return out


def tested_values(facts: ModuleFacts, resolver: Resolver) -> dict[str, str]:
    """``module.function#index`` and ``#name`` of each compared parameter,
    for the modules that call the function (see :data:`VALUE_EXPORT`)."""
    out: dict[str, str] = {}
    where = resolver.tree.display or resolver.tree.module
    # A class is called by its name, its constructor's `self` not passed.
    held = [(function.name.value, function, param, verdict, 0)
            for function, param, verdict in compared_parameters(facts, resolver)]
    held += [(cls, init, param, verdict, 1) for cls, init, param, verdict in constructor_values(facts, resolver)]
    for called, function, param, verdict, skip in held:
        positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)][skip:]
        name = f"{resolver.tree.module}.{called}".lstrip(".")
        line = facts.pos(function).start.line
        why = f"{VALUE_EXPORT}{verdict.confidence}: `{called}()` ({where}:{line}) compares its " \
              f"`{param}`: {verdict.why}"
        for key in [param] + ([str(positional.index(param))] if param in positional else []):
            known = out.get(f"{name}#{key}")
            if known is None or export_rank(why, VALUE_EXPORT) < export_rank(known, VALUE_EXPORT):
                out[f"{name}#{key}"] = why
    return out


def session_parameter_literals(
    facts: ModuleFacts, resolver: Resolver,
) -> list[tuple[cst.SimpleString, Verdict]]:
    """Old names passed for a parameter that the function's other callers
    give a session status (``self._emit(key, "killed")`` beside
    ``self._emit(row["key"], row.get("status"))``): the parameter holds
    session statuses, so the literal is one, written."""
    old = facts.manifest.vocabulary.old
    out: list[tuple[cst.SimpleString, Verdict]] = []
    for qualified, function in facts.functions.items():
        cls = facts.method_class.get(id(function))
        positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
        if cls is not None and not _decorated(function, "staticmethod"):
            positional = positional[1:]  # a method's callers do not pass its `self`
        calls = facts.calls_of(qualified) if cls is None else resolver._method_calls(qualified)
        given: dict[str, list[cst.SimpleString]] = {}
        for call, _ in calls:
            for param in positional + [p.name.value for p in function.params.kwonly_params]:
                argument = _argument(call, positional, param)
                if isinstance(argument, cst.SimpleString) and string_value(argument) in old:
                    given.setdefault(param, []).append(argument)
        for param, literals in given.items():
            origin = resolver._param_origin(param, function, 0)
            if origin is None or origin.kind != "session" or origin.strength != "strong":
                continue
            shown = Verdict("certain", f"passed to `{qualified}()` for `{param}`, which its other callers give a "
                                       f"session status: {origin.why}")
            out += [(literal, shown) for literal in literals]
    return out


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    planned: set[int] = set()

    def passed(literal: cst.BaseExpression, verdict: Verdict) -> None:
        if isinstance(literal, cst.SimpleString) and string_value(literal) in rw.vocab.old \
                and id(literal) not in planned:
            planned.add(id(literal))
            write(rw, facts, plan, literal, verdict, RULE.name)

    for function, param, verdict in compared_parameters(facts, resolver):
        name = function.name.value
        shown = Verdict(verdict.confidence, f"passed to `{name}()`, which compares it: {verdict.why}")
        positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
        for p in (*function.params.posonly_params, *function.params.params, *function.params.kwonly_params):
            if p.name.value == param and p.default is not None:
                passed(p.default, shown)
        module_scope = facts.module_scope
        for call, scope in facts.calls_of(name):
            if scope.owner_of(name) is not module_scope:
                continue
            argument = _argument(call, positional, param)
            if argument is not None:
                passed(argument, shown)
    for cls, init, param, verdict in constructor_values(facts, resolver):
        shown = Verdict(verdict.confidence, f"passed to `{cls}()`, which compares it: {verdict.why}")
        positional = [p.name.value for p in (*init.params.posonly_params, *init.params.params)][1:]
        for p in (*init.params.params, *init.params.kwonly_params):
            if p.name.value == param and p.default is not None:
                passed(p.default, shown)
        for call, scope in facts.calls_of(cls):
            argument = _argument(call, positional, param) if scope.owner_of(cls) is facts.module_scope else None
            if argument is not None:
                passed(argument, shown)
    for call, scope in facts.all_calls if resolver.tree.exports else ():
        for argument, verdict in tested_arguments(resolver, call, VALUE_EXPORT):
            passed(argument, verdict)
    # A project's own column that stores session statuses (see codemods.provenance.stored_columns).
    for argument, verdict in stored_columns.local_arguments(facts, resolver):
        passed(argument, verdict)
    for argument, verdict in stored_columns.passed_to_methods(facts, resolver):
        passed(argument, verdict)
    for argument, verdict in session_parameter_literals(facts, resolver):
        passed(argument, verdict)
    for comparison in facts.comparisons:
        # `for status, colour in [("done", "green"), ...]`, then `df.status == status`.
        if comparison.through is not None or not isinstance(comparison.op, (cst.Equal, cst.NotEqual)) \
                or not isinstance(comparison.other, cst.Name):
            continue
        owner = comparison.scope.owner_of(comparison.other.value)
        # The binding that reaches the test: the last one above it (a name
        # reused by a later loop is that loop's there).
        at = facts.pos(comparison.node).start.line
        bindings = [b for b in (owner.bindings[comparison.other.value] if owner is not None else [])
                    if b.value is not None and facts.pos(b.value).start.line <= at]
        if not bindings:
            continue
        binding = bindings[-1]
        if binding.kind != "for" or binding.column is None or not isinstance(binding.value, (cst.List, cst.Tuple)):
            continue
        verdict = _verdict(resolver, comparison, [])
        if verdict.confidence is None:
            continue
        shown = Verdict(verdict.confidence, f"an item of the loop at line {facts.pos(binding.value).start.line}, one value at a time: "
                        f"{verdict.why}")
        for element in binding.value.elements:
            row = element.value
            if isinstance(row, cst.Tuple) and binding.column < len(row.elements):
                passed(row.elements[binding.column].value, shown)
