"""The JSON-schema `enum` of a function tool's parameter (OpenAI's
`parameters`, Anthropic's `input_schema`, MCP's `inputSchema`) whose handler
compares that parameter with a session status, or (an array's `items.enum`)
tests one in it.

A model calls `list_sessions(status=...)` with one of the values the schema
lists, `{"name": "list_sessions", "parameters": {"properties": {"status":
{"enum": [...]}}}}`; the handler (the function of the tool's name, or the
one a table of handlers maps the name to) keeps the rows whose status equals
it. The enum is the set of statuses the model may ask for: rewritten as a
membership collection (expand lists both names, contract the new ones), in
place or in the module constant it names when that constant serves nothing
else. A tool whose parameter is compared with another vocabulary (a batch's
state, a job's) is left alone."""

from __future__ import annotations

import libcst as cst

from codemods.forms.held_collection import tested_arguments, tested_parameters
from codemods.forms.passed_value import compared_parameters
from codemods.literals import string_value
from codemods.provenance import ModuleFacts, Resolver, Verdict, collection_elements, table_entries
from codemods.session_status import Plan, StatusRewriter
from codemods.words import COLLECTION_EXPORT, VALUE_EXPORT
from migrator.rules import Example, Rule

ORDER = 52

_TOOL = (
    'import json\n\nSTATUSES = [{}]\n\n\n'
    'def list_sessions(status=None):\n'
    '    rows = client.invoke("sessions_list", {{}})["details"]["sessions"]\n'
    '    return json.dumps([r for r in rows if status is None or r["status"] == status])\n\n\n'
    'TOOLS = [{{"type": "function", "function": {{"name": "list_sessions", "parameters": {{\n'
    '    "type": "object", "properties": {{"status": {{"type": "string", "enum": STATUSES}}}}}}}}}}]\n'
)
_BATCH = (
    'def list_batches(status=None):\n'
    '    return [b.id for b in client.batches.list() if status is None or b.status == status]\n\n\n'
    'TOOLS = [{"name": "list_batches", "input_schema": {"type": "object", "properties": {\n'
    '    "status": {"type": "string", "enum": ["completed", "failed", "expired", "cancelled"]}}}}]\n'
)

RULE = Rule(
    name="status-tool-enum",
    summary="The `enum` of a function tool's parameter that its handler compares with a session status.",
    why="A model picks a tool argument from the schema's `enum`: once the gateway says `interrupted`, a tool "
    "that offers only `failed` finds nothing, and one that rejects unknown values refuses the new name.",
    safety="Edited like a membership collection (expand lists both names, contract the new ones), only "
    "where the tool's handler compares the parameter with a session status of a known source; a module "
    "constant only when its every use is such an enum.",
    invalid=(Example(_TOOL.format('"running", "failed", "timeout"'),
                     _TOOL.format('"running", "failed", "interrupted", "timeout", "waiting_for_response"'),
                     _TOOL.format('"running", "interrupted", "waiting_for_response"')),),
    valid=(Example(_BATCH),),
)


def _entry(node: cst.BaseExpression, keys: frozenset[str] | set[str]) -> cst.BaseExpression | None:
    """The value of the first entry of a dict literal under one of ``keys``."""
    if not isinstance(node, cst.Dict):
        return None
    for element in node.elements:
        if isinstance(element, cst.DictElement) and string_value(element.key) in keys:
            return element.value
    return None


def handlers(facts: ModuleFacts, tool: str) -> list[str]:
    """The module's functions a tool named ``tool`` runs: one of that name,
    and those a module table of handlers maps the name to
    (``HANDLERS = {"list_sessions": list_openclaw_sessions}``)."""
    out = [tool] if tool in facts.functions else []
    for value in facts.constants.values():
        for entry in table_entries(value) or ():
            if isinstance(entry, cst.DictElement) and string_value(entry.key) == tool \
                    and isinstance(entry.value, cst.Name) and (
                        entry.value.value in facts.functions or entry.value.value in facts.imported_names):
                out.append(entry.value.value)
    return out


def _handler_verdict(resolver: Resolver, compared: dict[tuple[str, str], Verdict], function: str, param: str,
                     enum: cst.BaseExpression, marker: str) -> Verdict | None:
    """How surely ``function`` (of this module, or imported from another
    that exports what it tests) compares its ``param`` with a session status
    (``marker`` :data:`VALUE_EXPORT`) or tests one in it (an array's items,
    :data:`COLLECTION_EXPORT`)."""
    if function in resolver.facts.functions and marker == VALUE_EXPORT:
        return compared.get((function, param))
    if function in resolver.facts.functions:
        why = tested_parameters(resolver.facts, resolver).get(f"{resolver.tree.module}.{function}#{param}".lstrip("."))
        said, _, reason = (why or "")[len(marker):].partition(": ")
        return Verdict("certain", reason) if why is not None and said == "certain" else None
    # Asked as another module's call would pass it: the export of what it tests.
    call = cst.Call(cst.Name(function), [cst.Arg(enum, keyword=cst.Name(param))])
    resolver.facts.stand_ins[id(call)] = enum
    found = tested_arguments(resolver, call, marker)
    return found[0][1] if found else None


def tool_enums(facts: ModuleFacts, resolver: Resolver) -> list[tuple[cst.BaseExpression, Verdict]]:
    """Each ``enum`` of a tool parameter whose handler compares it with a
    session status (certain), with the verdict; the enum as written (a
    collection or the name of a module constant)."""
    if not facts.tools:
        return []
    shapes = resolver.manifest.python.tool_schemas
    compared = {(f.name.value, p): v for f, p, v in compared_parameters(facts, resolver)}
    out: list[tuple[cst.BaseExpression, Verdict]] = []
    for tool in facts.tools:
        name = string_value(_entry(tool, set(shapes.names)) or cst.Name("_"))
        properties = _entry(_entry(tool, set(shapes.parameters)) or cst.Dict([]), {"properties"})
        if name is None or not isinstance(properties, cst.Dict):
            continue
        functions = handlers(facts, name)
        for prop in properties.elements:
            param = string_value(prop.key) if isinstance(prop, cst.DictElement) else None
            if param is None:
                continue
            # One value of the enum, or (an array) several, tested in as a collection.
            enum, marker = _entry(prop.value, {"enum"}), VALUE_EXPORT
            if enum is None:
                enum, marker = _entry(_entry(prop.value, {"items"}) or cst.Dict([]), {"enum"}), COLLECTION_EXPORT
            if enum is None:
                continue
            verdicts = [_handler_verdict(resolver, compared, f, param, enum, marker) for f in functions]
            if not verdicts or any(v is None or v.confidence != "certain" for v in verdicts):
                continue  # a handler that does not compare it, or not surely with a session status
            verdict = verdicts[0]
            assert verdict is not None
            out.append((enum, Verdict("certain", f"the `enum` of the parameter `{param}` of the tool `{name}`, "
                                                 f"which `{functions[0]}()` compares: {verdict.why}")))
    return out


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    found = tool_enums(facts, resolver)
    judged = {id(enum) for enum, _ in found}
    done: set[int] = set()
    for enum, verdict in found:
        holder: cst.BaseExpression = enum
        if isinstance(enum, cst.Name):
            constant = resolver.module_constant(enum, facts.module_scope) if facts.module_scope else None
            uses = [n for n in facts.mentions.get(enum.value, []) if id(n) not in facts.targets]
            if constant is None or any(id(n) not in judged for n in uses):
                continue  # a constant that serves something else too: the constant form's
            holder = constant[1]
        if collection_elements(holder) is None or id(holder) in plan.edits or id(holder) in done:
            continue
        done.add(id(holder))
        literals = rw.literals(holder)
        if not {string_value(x) for x in literals} & rw.vocab.old:
            continue
        line = facts.pos(holder).start.line
        rewrite = rw.allowed(verdict) and not rw.ignored(facts, line)
        rw.add(plan, facts, holder, line, literals, verdict, RULE.name, rewrite, "collection")
