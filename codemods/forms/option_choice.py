"""The values a command-line option takes, where the option filters session
rows: `add_argument("--status", choices=["done", "failed"])` read as
`args.status` and compared with a row's status (argparse), or
`@click.option("--status", type=click.Choice([...]))` compared in the
command (click).

A dashboard's picker (`shown = st.multiselect("Status", [...])` compared
with the rows' statuses) is judged the same way.

The choices are a collection the user picks from: expand adds the new names
(either may be typed during the window), contract drops the old ones. The
default is one value, so it is a writer: kept in expand, renamed in
contract. Which calls declare an option is the manifest's
``[surfaces.python.options]``."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from codemods.forms.writer import write
from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Scope, Verdict, collection_elements
from codemods.provenance.model import _COPIES as COPIES
from codemods.session_status import Plan, StatusRewriter, imported_constant
from migrator.findings import CONFIDENCES
from migrator.manifest import CommandOptions
from migrator.rules import Example, Rule

ORDER = 47  # before the constant form, which judges the constants given as choices by all their uses
# Calls that copy a collection (or a dict's keys) given as an option's choices.
_COPIES = COPIES | {"set", "frozenset"}

_ARGPARSE = (
    'import argparse\nimport json\nimport subprocess\n\n'
    'parser = argparse.ArgumentParser()\n'
    'parser.add_argument("--status", choices={}, default="{}")\n'
    'args = parser.parse_args()\n'
    'out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True).stdout\n'
    'print([r["key"] for r in json.loads(out)["sessions"] if r["status"] == args.status])\n'
)
_CLICK = (
    'import click\n\n\n@click.command()\n@click.option("--only", type=click.Choice({}))\n'
    'def main(only):\n    data = client.invoke("sessions_list", {{}})\n'
    '    for row in data["sessions"]:\n        if row["status"] == only:\n            print(row["key"])\n'
)

_PICKER = (
    'import json\nimport subprocess\n\nimport streamlit as st\n\n'
    'out = subprocess.run(["openclaw", "sessions", "--json"], capture_output=True, text=True).stdout\n'
    'shown = st.multiselect("Status", {})\n'
    'st.table([r for r in json.loads(out)["sessions"] if r["status"] in shown])\n'
)

# What was parsed, given to the command's `run(args)`.
_RUN = (
    'import argparse\n\n\ndef run(args):\n    data = client.invoke("sessions_list", {{}})\n'
    '    return [r for r in data["sessions"] if r["status"] == args.status]\n\n\n'
    'def main():\n    parser = argparse.ArgumentParser()\n'
    '    parser.add_argument("--status", choices={})\n    return run(parser.parse_args())\n'
)

RULE = Rule(
    name="status-option-choice",
    summary="The choices and default of a command-line option compared with a session status "
    "(`choices=[\"done\", \"failed\"]`).",
    why="Once rows carry the new names, an option that only takes the old ones can select nothing.",
    safety="Only where every comparison of what the option is read as is with a session status: the "
    "choices are expanded like a collection; the default is one value, kept in expand and renamed in "
    "contract, as a writer is.",
    invalid=(
        Example(
            _ARGPARSE.format('["done", "failed"]', "failed"),
            _ARGPARSE.format('["done", "agent_responded", "failed", "interrupted"]', "failed"),
            _ARGPARSE.format('["agent_responded", "interrupted"]', "interrupted"),
        ),
        Example(
            _CLICK.format('["killed", "timeout"]'),
            _CLICK.format('["killed", "halted", "timeout", "waiting_for_response"]'),
            _CLICK.format('["halted", "waiting_for_response"]'),
        ),
        Example(
            _PICKER.format('["failed", "timeout"]'),
            _PICKER.format('["failed", "interrupted", "timeout", "waiting_for_response"]'),
            _PICKER.format('["interrupted", "waiting_for_response"]'),
        ),
        Example(
            'STATUSES = ("done", "failed")\n' + _ARGPARSE.format("STATUSES", "failed"),
            'STATUSES = ("done", "agent_responded", "failed", "interrupted")\n' + _ARGPARSE.format("STATUSES", "failed"),
            'STATUSES = ("agent_responded", "interrupted")\n' + _ARGPARSE.format("STATUSES", "interrupted"),
        ),
        Example(_RUN.format('["done", "failed"]'), _RUN.format('["done", "agent_responded", "failed", "interrupted"]'),
                _RUN.format('["agent_responded", "interrupted"]')),
    ),
    valid=(
        # A job queue's own states.
        Example('import argparse\n\nparser = argparse.ArgumentParser()\n'
                'parser.add_argument("--state", choices=["done", "failed"])\nargs = parser.parse_args()\n'
                'print([j for j in queue.jobs() if j.state == args.state])\n'),
        # A job's `status` attribute beside the option of the same name: no read of the option.
        Example('import argparse\n\nparser = argparse.ArgumentParser()\n'
                'parser.add_argument("--status", choices=["done", "failed"])\nargs = parser.parse_args()\n'
                'print([j for j in queue.jobs() if j.status == args.status])\n'),
    ),
)


@dataclass
class _Option:
    call: cst.Call
    dest: str | None  # None: a picker, read through the name its result is bound to
    line: int
    choices: cst.BaseExpression | None
    default: cst.SimpleString | None
    command: cst.FunctionDef | None  # the click command it decorates
    constants: list[cst.Name] = field(default_factory=list)  # module constants given as choices or default
    imported: list[tuple[str, int, str]] = field(default_factory=list)  # constants of other modules so given
    parsers: tuple[str, ...] = ()  # the calls that return what was parsed
    verdicts: list[Verdict] = field(default_factory=list)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    for option in _judged(facts, resolver, rw.vocab.old):
        verdict = _verdict(option)
        for name in option.constants:
            # `choices=STATUSES`: a use of the constant, which the constant form judges by all its uses.
            plan.constant_uses.setdefault(name.value, []).append(verdict)
            plan.sinks.add(id(name))
        if verdict.confidence is None:
            continue  # compared with another vocabulary's value too
        if option.choices is not None:
            rewrite = rw.allowed(verdict) and not rw.ignored(facts, option.line)
            rw.add(plan, facts, option.choices, option.line, rw.literals(option.choices), verdict, RULE.name,
                   rewrite, "collection")
        if option.default is not None:
            write(rw, facts, plan, option.default, verdict, RULE.name)


def imported_uses(facts: ModuleFacts, resolver: Resolver, old: frozenset[str]) -> list[tuple[str, int, str, Verdict]]:
    """``(module, level, name, verdict)`` of each constant of another module
    given here as an option's choices or default (``list(palette.COLOURS)``,
    ``default=palette.ATTENTION``): a use its own module judges it by."""
    return [(*found, _verdict(option)) for option in _judged(facts, resolver, old) for found in option.imported]


def _judged(facts: ModuleFacts, resolver: Resolver, old: frozenset[str]) -> list[_Option]:
    """The options of this module that are compared, each with the
    verdicts of what it is compared with."""
    options = _options(facts, resolver, old)
    if not options:
        return []
    for comparison in facts.comparisons:
        for side, other in ((comparison.subject, comparison.other), (comparison.other, comparison.subject)):
            for option in options:
                if not _reads(option, side, comparison.scope):
                    continue
                subject = resolver.subject(other, comparison.scope)
                words = _words(option)
                line = facts.pos(comparison.node).start.line
                verdict = (resolver.verdict(subject, words, f"read as `{resolver.code(side)}` and compared with")
                           if subject is not None else
                           Verdict(None, f"`{resolver.code(other)}` (line {line}) is not a session status"))
                option.verdicts.append(verdict)
    return [option for option in options if option.verdicts]


def _verdict(option: _Option) -> Verdict:
    """The lowest verdict of an option's comparisons; None where one is
    with another vocabulary's value."""
    against = next((v for v in option.verdicts if v.confidence is None), None)
    return against or min(option.verdicts, key=lambda v: CONFIDENCES.index(v.confidence))  # type: ignore[arg-type,unused-ignore]


def _options(facts: ModuleFacts, resolver: Resolver, old: frozenset[str]) -> list[_Option]:
    """The options of this module that take or default to an old name, or
    to a module constant."""
    shapes = facts.manifest.python.options
    declared: list[tuple[cst.Call, cst.FunctionDef | None, Scope | None]] = []
    decorators: set[int] = set()
    for function in facts.functions.values():
        for decorator in function.decorators:
            if isinstance(decorator.decorator, cst.Call):
                decorators.add(id(decorator.decorator))
                declared.append((decorator.decorator, function, facts.module_scope))
    declared += [(call, None, scope) for call, scope in facts.all_calls if id(call) not in decorators]
    out: list[_Option] = []
    for call, command, scope in declared:
        callee = (cst.helpers.get_full_name_for_node(call.func) or "").rsplit(".", 1)[-1]
        picker = callee in shapes.pickers
        if callee not in shapes.declare and not picker:
            continue
        dest = None if picker else _dest(call, shapes)
        choices = _choices(call, shapes, picker)
        default = next((a.value for a in call.args if a.keyword is not None and a.keyword.value in shapes.defaults
                        and isinstance(a.value, cst.SimpleString) and string_value(a.value) in old), None)
        held = choices is not None and any(string_value(e.value) in old for e in collection_elements(choices) or ())
        constants: list[cst.Name] = []
        imported: list[tuple[str, int, str]] = []
        for given in _given(call, shapes, picker) if scope is not None else ():
            assert scope is not None
            if isinstance(given, cst.Name) and resolver.module_constant(given, scope) is not None:
                constants.append(given)
            elif (found := imported_constant(given, scope, facts)) is not None:
                imported.append(found)
        if (dest is not None or picker) and (held or default is not None or constants or imported):
            assert default is None or isinstance(default, cst.SimpleString)
            out.append(_Option(call, dest, facts.pos(call).start.line, choices if held else None, default, command,
                               constants, imported, shapes.parsers))
    return out


def _given(call: cst.Call, shapes: CommandOptions, picker: bool) -> list[cst.Name | cst.Attribute]:
    """The names an option is given as its choices or default (``choices=STATUSES``,
    ``list(STATUS_COLOURS)``: a dict's keys)."""
    values = [a.value for a in call.args if a.keyword is not None and a.keyword.value in (*shapes.choices,
                                                                                        *shapes.defaults)]
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    if picker and len(positional) > 1:
        values.append(positional[1])
    out: list[cst.Name | cst.Attribute] = []
    for value in values:
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in _COPIES \
                and len(value.args) == 1:
            value = value.args[0].value
        if isinstance(value, (cst.Name, cst.Attribute)):
            out.append(value)
    return out


def _dest(call: cst.Call, shapes: CommandOptions) -> str | None:
    """The name an option is read by: its ``dest``, a plain name among its
    flags (click's parameter name, argparse's positional), else its first
    long flag (``--only-status`` -> ``only_status``)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in shapes.dests:
            return string_value(arg.value)
    names = [v for v in (string_value(a.value) for a in call.args if a.keyword is None) if v]
    plain = [n for n in names if not n.startswith("-")]
    if plain:
        return plain[0] if plain[0].isidentifier() else None
    flag = next((n for n in names if n.startswith("--")), names[0] if names else "")
    dest = flag.lstrip("-").replace("-", "_")
    return dest if dest.isidentifier() else None


def _choices(call: cst.Call, shapes: CommandOptions, picker: bool) -> cst.BaseExpression | None:
    """The literal collection an option takes its values from (a picker's
    second argument, ``st.selectbox("Status", [...])``, or a keyword)."""
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    if picker and len(positional) > 1 and isinstance(positional[1], (cst.List, cst.Tuple, cst.Set)):
        return positional[1]
    for arg in call.args:
        if arg.keyword is None or arg.keyword.value not in shapes.choices:
            continue
        value = arg.value
        if isinstance(value, cst.Call) and (cst.helpers.get_full_name_for_node(value.func) or "").rsplit(".", 1)[-1] \
                in shapes.wrappers and value.args:
            value = value.args[0].value
        if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
            return value
    return None


def _reads(option: _Option, node: cst.BaseExpression, scope: Scope) -> bool:
    """Whether ``node`` reads the option: ``args.<dest>`` (argparse), or the
    command's parameter of that name inside the command (click), or the
    name a picker's result is bound to (``choice = st.selectbox(...)``)."""
    if option.dest is None:
        return isinstance(node, cst.Name) and any(b.value is option.call for b in scope.lookup(node.value))
    if option.command is None:
        return isinstance(node, cst.Attribute) and node.attr.value == option.dest and _namespace(node.value, scope, option.parsers)
    if not isinstance(node, cst.Name) or node.value != option.dest:
        return False
    owner = scope.owner_of(node.value)
    return owner is not None and owner.node is option.command


def _namespace(node: cst.BaseExpression, scope: Scope, parsers: tuple[str, ...]) -> bool:
    """Whether ``node`` holds what a parser parsed: a name bound from
    ``parser.parse_args()`` (or the first item of ``parse_known_args()``), or
    a parameter typed ``Namespace`` or named ``args``, as a command's
    ``run(args)`` is (``row.status`` beside ``args.status`` is no option)."""
    if not isinstance(node, cst.Name):
        return False
    for binding in scope.lookup(node.value):
        value = binding.value
        if binding.kind in ("assign", "unpack") and isinstance(value, cst.Call) \
                and isinstance(value.func, cst.Attribute) and value.func.attr.value in parsers \
                and (binding.kind == "assign" or binding.index == 0):
            return True
        if binding.kind == "param":
            annotation = cst.helpers.get_full_name_for_node(binding.annotation) if binding.annotation else None
            if (annotation or "").rsplit(".", 1)[-1] == "Namespace" or node.value == "args":
                return True
    return False


def _words(option: _Option) -> list[str]:
    words = [string_value(e.value) for e in collection_elements(option.choices) or ()] if option.choices else []
    if option.default is not None:
        words.append(string_value(option.default))
    return [w for w in words if w]
