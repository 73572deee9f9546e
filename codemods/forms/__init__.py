"""The Python forms, one module each, as Fixit rules are.

Each module holds its rule id, doc and VALID / INVALID examples for both
phases (``RULE``), where it runs among the others (``ORDER``: a constant is
judged after the tests that use it), and how it finds and plans its edits
(``find``). Adding a form is adding a module here; provenance (sources,
propagation, verdicts) lives in :mod:`codemods.provenance`, independent of
the forms.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType

from migrator.rules import Rule


@cache
def forms() -> tuple[ModuleType, ...]:
    """Every form module, in the order they plan."""
    found = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
    return tuple(sorted(found, key=lambda m: (m.ORDER, m.__name__)))


def rules() -> tuple[Rule, ...]:
    """The forms' rules, in planning order."""
    return tuple(m.RULE for m in forms())
