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
from codemods.session_status import Plan, StatusRewriter
from migrator.findings import CONFIDENCES
from migrator.manifest import CommandOptions
from migrator.rules import Example, Rule

ORDER = 47

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
    ),
    valid=(
        # A job queue's own states.
        Example('import argparse\n\nparser = argparse.ArgumentParser()\n'
                'parser.add_argument("--state", choices=["done", "failed"])\nargs = parser.parse_args()\n'
                'print([j for j in queue.jobs() if j.state == args.state])\n'),
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
    verdicts: list[Verdict] = field(default_factory=list)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    options = _options(facts, rw.vocab.old)
    if not options:
        return
    for comparison in facts.comparisons:
        for side, other in ((comparison.subject, comparison.other), (comparison.other, comparison.subject)):
            for option in options:
                if not _reads(option, side, comparison.scope):
                    continue
                subject = resolver.subject(other, comparison.scope)
                words = _words(option)
                verdict = (resolver.verdict(subject, words, f"read as `{resolver.code(side)}` and compared with")
                           if subject is not None else Verdict(None, ""))
                option.verdicts.append(verdict)
    for option in options:
        if not option.verdicts or any(v.confidence is None for v in option.verdicts):
            continue  # not compared, or compared with another vocabulary's value too
        verdict = min(option.verdicts, key=lambda v: CONFIDENCES.index(v.confidence))  # type: ignore[arg-type,unused-ignore]
        if option.choices is not None:
            rewrite = rw.allowed(verdict) and not rw.ignored(facts, option.line)
            rw.add(plan, facts, option.choices, option.line, rw.literals(option.choices), verdict, RULE.name,
                   rewrite, "collection")
        if option.default is not None:
            write(rw, facts, plan, option.default, verdict, RULE.name)


def _options(facts: ModuleFacts, old: frozenset[str]) -> list[_Option]:
    """The options of this module that take or default to an old name."""
    shapes = facts.manifest.python.options
    declared: list[tuple[cst.Call, cst.FunctionDef | None]] = []
    decorators: set[int] = set()
    for function in facts.functions.values():
        for decorator in function.decorators:
            if isinstance(decorator.decorator, cst.Call):
                decorators.add(id(decorator.decorator))
                declared.append((decorator.decorator, function))
    declared += [(call, None) for call, _ in facts.all_calls if id(call) not in decorators]
    out: list[_Option] = []
    for call, command in declared:
        callee = (cst.helpers.get_full_name_for_node(call.func) or "").rsplit(".", 1)[-1]
        picker = callee in shapes.pickers
        if callee not in shapes.declare and not picker:
            continue
        dest = None if picker else _dest(call, shapes)
        choices = _choices(call, shapes, picker)
        default = next((a.value for a in call.args if a.keyword is not None and a.keyword.value in shapes.defaults
                        and isinstance(a.value, cst.SimpleString) and string_value(a.value) in old), None)
        held = choices is not None and any(string_value(e.value) in old for e in collection_elements(choices) or ())
        if (dest is not None or picker) and (held or default is not None):
            assert default is None or isinstance(default, cst.SimpleString)
            out.append(_Option(call, dest, facts.pos(call).start.line, choices if held else None, default, command))
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
        return isinstance(node, cst.Attribute) and node.attr.value == option.dest
    if not isinstance(node, cst.Name) or node.value != option.dest:
        return False
    owner = scope.owner_of(node.value)
    return owner is not None and owner.node is option.command


def _words(option: _Option) -> list[str]:
    words = [string_value(e.value) for e in collection_elements(option.choices) or ()] if option.choices else []
    if option.default is not None:
        words.append(string_value(option.default))
    return [w for w in words if w]
