"""Django ORM lookups on a model whose status field holds session statuses."""

from __future__ import annotations

import ast

import libcst as cst

from codemods import orm
from codemods.edits import contract_elements, expand_elements, pair_tuple
from codemods.literals import restyle, string_value
from codemods.provenance import ModuleFacts, Resolver, Verdict
from codemods.session_status import Plan, StatusRewriter
from migrator.manifest import Vocabulary
from migrator.rules import Example, Rule

ORDER = 25
EDIT = "orm-lookup"

_MODEL = (
    "from django.db import models\n\nclass Mirror(models.Model):\n    key = models.CharField(max_length=255)\n"
    "    status = models.CharField(max_length=16)\n\ndef sync(client):\n"
    '    for row in client.invoke("sessions_list", {})["sessions"]:\n'
    '        Mirror.objects.update_or_create(key=row["key"], defaults={"status": row["status"]})\n\n'
)

RULE = Rule(
    name="status-orm-lookup",
    summary="Django ORM lookups (`filter(status=...)`, `status__in=[...]`) on a model whose "
    "status field is stored from session rows.",
    why="The model's rows take the status the gateway sends: after the rename a filter on "
    "the old name alone finds none of the rows a new gateway wrote.",
    safety="The model is known by its writers: a manager call (`update_or_create`, `create`, "
    "`update`) that stores a status read from a session source, in this module or another "
    "of the project. expand turns `status=\"killed\"` into `status__in=(\"killed\", \"halted\")` "
    "and adds each new name after its old one in `status__in`; contract keeps the new names, "
    "and a lookup of one name is `status=` again. Lookups on other models (a job queue of the "
    "same words), on other fields and other lookups (`__startswith`) are left alone.",
    invalid=(
        Example(
            _MODEL + 'def stopped():\n    return Mirror.objects.filter(status="killed")\n',
            _MODEL + 'def stopped():\n    return Mirror.objects.filter(status__in=("killed", "halted"))\n',
            _MODEL + 'def stopped():\n    return Mirror.objects.filter(status="halted")\n',
        ),
        Example(
            _MODEL + 'def problems():\n    qs = Mirror.objects.order_by("key")\n'
            '    return qs.exclude(status__in=["failed", "timeout"]).count()\n',
            _MODEL + 'def problems():\n    qs = Mirror.objects.order_by("key")\n'
            '    return qs.exclude(status__in=["failed", "interrupted", "timeout", "waiting_for_response"]).count()\n',
            _MODEL + 'def problems():\n    qs = Mirror.objects.order_by("key")\n'
            '    return qs.exclude(status__in=["interrupted", "waiting_for_response"]).count()\n',
        ),
    ),
    valid=(
        # The project's own job queue with the same words: nothing stores a session status there.
        Example(
            'from django.db import models\n\nclass Job(models.Model):\n    status = models.CharField(max_length=16)\n\n'
            'def finished():\n    return Job.objects.filter(status__in=["done", "failed"])\n'
        ),
        Example(
            _MODEL + 'def named():\n    return Mirror.objects.filter(status__startswith="kill", key="done")\n'
        ),
    ),
)


def find(rw: StatusRewriter, facts: ModuleFacts, resolver: Resolver, plan: Plan) -> None:
    fields = facts.keys | facts.attributes
    for call, scope in facts.all_calls:
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in orm.READS):
            continue
        lookups: list[tuple[cst.Arg, tuple[str, str]]] = []
        for arg in call.args:
            found = orm.lookup_field(arg.keyword.value) if arg.keyword is not None else None
            if found is not None and found[0] in fields:
                lookups.append((arg, found))
        if not lookups:
            continue
        model = orm.model_of(func.value, scope)
        origin = resolver.class_origin(model) if model is not None else None
        if origin is None or origin.kind != "session" or origin.strength != "strong":
            continue
        for arg, (field, lookup) in lookups:
            literals = rw.literals(arg.value)
            # One name by equality, or a collection by membership (`__iexact` would lose its case folding).
            if (lookup == "in") == isinstance(arg.value, cst.SimpleString) or lookup == "iexact":
                continue
            if not {string_value(x) for x in literals} & rw.vocab.old:
                continue
            verdict = Verdict("certain", f"an ORM lookup on `{model}.{field}`, {origin.why}")
            line = facts.pos(arg).start.line
            rewrite = rw.allowed(verdict) and not rw.ignored(facts, line)
            rw.add(plan, facts, arg, line, literals, verdict, RULE.name, rewrite, EDIT)


def rewrite_lookup(arg: cst.Arg, vocab: Vocabulary, phase: str) -> cst.Arg:
    """The lookup keyword ``arg`` accepting both names (expand) or the new ones (contract)."""
    assert arg.keyword is not None
    field, _, lookup = arg.keyword.value.partition("__")
    value = arg.value
    if isinstance(value, cst.SimpleString):
        if phase == "expand":
            return arg.with_changes(keyword=cst.Name(f"{field}__in"), value=pair_tuple(value, vocab))
        return arg.with_changes(value=restyle(value, vocab.to_new(string_value(value) or "")))
    if not isinstance(value, (cst.Tuple, cst.List, cst.Set)):
        return arg
    elements = (expand_elements if phase == "expand" else contract_elements)(value.elements, vocab)
    if elements is None:
        return arg
    if phase == "contract" and len(elements) == 1 and isinstance(elements[0].value, cst.SimpleString):
        # One name left: the plain lookup, as contract alone writes it.
        one = elements[0].value.with_changes(lpar=[], rpar=[])
        return arg.with_changes(keyword=cst.Name(field), value=one)
    return arg.with_changes(value=value.with_changes(elements=elements))


def normalize(node: ast.Call, vocab: Vocabulary) -> None:
    """For the write check: ``status="done"`` and ``status__exact="done"``
    as ``status__in=("done",)``, and an ``__in`` collection of words as a
    tuple, so a lookup rewritten as planned compares equal."""
    for keyword in node.keywords:
        if keyword.arg is None:
            continue
        field, _, lookup = keyword.arg.partition("__")
        value = keyword.value
        if lookup in ("", "exact") and isinstance(value, ast.Constant) and value.value in vocab.all_values:
            keyword.arg, keyword.value = f"{field}__in", ast.Tuple([value], ast.Load())
        elif lookup == "in" and isinstance(value, (ast.List, ast.Set)):
            keyword.value = ast.Tuple(value.elts, ast.Load())
