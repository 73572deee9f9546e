"""Provenance: is this value really a session status?

One pass over a module collects scopes and bindings, evidence that the module
talks to OpenClaw, and every comparison made with the same subject. The
resolver then answers, for a compared expression: what is it (a ``status``
read from which row), where did the row come from, and how sure can we be.
Evidence weighs both ways (SPEC 2): a sessions_list result raises confidence;
a ``sessions_send`` result, ``outcome``, ``acp``, a process or cron record, or
a comparison of the same subject with a word of another vocabulary removes it.

The package, one module per concern: ``model`` (the data classes and shared
constants), ``facts`` (the one pass over a module), ``nodes`` and ``sql``
(helpers over nodes and over SQL text), and the resolver (``resolver``,
its state in ``base``), whose parts are ``subjects``, ``sources``,
``origins``, ``names``, ``classes``, ``columns``, ``copies``, ``verdicts``
and ``exports``. Propagation through particular shapes of code has a
module each: ``partials`` (``functools.partial``, a field name every call
gives), ``deferred`` (job queues, executors), ``stores`` (key-value stores),
``row_shape`` (a row known by the keys it is read with), ``state_types`` (a
framework's state typed by the project), ``mappings`` (mappings keyed by
a status) and ``stored_columns`` (a project's own table column that stores
session statuses).
"""

from __future__ import annotations

from codemods.provenance.model import (
    TABLES,
    NEGATED_MEMBERSHIP,
    Binding,
    Scope,
    Comparison,
    EnumClass,
    Subject,
    Origin,
    TreeKnowledge,
    Verdict,
)
from codemods.provenance.nodes import (
    nodes_in,
    _argument,
    collection_elements,
    case_literals,
    table_entries,
    union_components,
    union_literals,
)
from codemods.provenance.sql import _TABLE, ParameterTest, _SET, parameter_tests
from codemods.provenance.facts import ModuleFacts
from codemods.provenance.resolver import Resolver

__all__ = [
    "Binding",
    "Comparison",
    "EnumClass",
    "ModuleFacts",
    "NEGATED_MEMBERSHIP",
    "Origin",
    "ParameterTest",
    "Resolver",
    "Scope",
    "Subject",
    "TABLES",
    "TreeKnowledge",
    "Verdict",
    "_SET",
    "_TABLE",
    "_argument",
    "case_literals",
    "collection_elements",
    "nodes_in",
    "parameter_tests",
    "table_entries",
    "union_components",
    "union_literals",
]
