"""Words of identifiers, without LibCST: shared by the provenance and the
``ast`` site test (which must not import LibCST)."""

from __future__ import annotations

import re
from typing import Iterable

# Marks a project export (a function of one module, as other modules see it)
# that returns another vocabulary's record, a `sessions_send` answer, say:
# the importer leaves its status alone. Other exports carry session rows.
FOREIGN_EXPORT = "foreign: "
# Marks an export ``module.function#parameter`` (by index and by name): the
# function tests a session status in that parameter, a collection its
# callers pass (``stale(store, DEAD)``); the value is ``confidence: why``.
COLLECTION_EXPORT = "collection: "
# Marks an export ``module.function#parameter``: the function compares a
# session status with that parameter (``== status``, ``WHERE status = ?``),
# one value its callers pass (``ended(rows, "failed")``).
VALUE_EXPORT = "value: "
# Ends an export ``module.Class.attr#attr`` (its value marked
# :data:`COLLECTION_EXPORT`): a method tests a session status in that
# attribute of the class's instances (``st in self.statuses``), a collection
# the class, its subclasses or its callers give it.
ATTRIBUTE_EXPORT = "#attr"
# Joins a class's export to the name of the table it is mapped to
# (``app.models.SessionRow#table:oc_session``): SQL text elsewhere that names
# that table tests session statuses in its status column.
TABLE_EXPORT = "#table:"
# Marks a session class of the project that is ORM-mapped
# (``app.models.SessionRow#mapped``): on the class, its status is a column.
MAPPED_EXPORT = "#mapped"

# Ends the key of a record of what another module passes a function
# (``"0" + STATUS_READ``): the argument there is a status read of a row
# (``row.get("status")``, a name bound from one), not the row or another field.
STATUS_READ = "#status"
# The origin kind of an argument that holds words written in the code (a
# literal of the session vocabulary, an item of a constant): no source.
WORDS = "words"

# Calls that make a mapping whose missing keys read as zero, filled by
# counting (``Counter(...)``, ``defaultdict(int)``): shared by the status-keyed
# mappings (codemods.provenance.mappings) and the ast site test.
COUNTERS = frozenset({"Counter", "defaultdict"})

_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def words_of(identifier: str) -> list[str]:
    """``lastRunStatus`` -> ['last', 'run', 'status']; ``proc_info`` -> ['proc', 'info']."""
    return [w.lower() for w in _WORD_SPLIT.split(identifier) if w]


def foreign_token(text: str, sources: Iterable[str]) -> str | None:
    """The foreign source (of the manifest's ``sources``, lowercased) an
    identifier's words name (``proc_info``, ``jobs``), or None."""
    low = text.lower()
    words = words_of(text)
    for source in sources:
        if "_" in source or "." in source:
            if source in low:
                return source
        elif any(w == source or w == source + "s" or w == source + "es" for w in words):
            return source
    return None
