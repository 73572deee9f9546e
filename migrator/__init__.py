"""migrator: carry OpenClaw through the session-status rename.

Everything the command line does, a Python caller can do::

    from migrator import load_options, run, write
    result = run(load_options(["src/"], phase="expand"))
    for finding in result.findings:
        print(finding.path, finding.line, finding.old, "->", finding.new)
    write(result)  # journalled; undo with migrator.rollback([root])

Paths of several projects, each under its own ``[tool.migrator]``:
``run(load_projects(["app/", "tools/"]))``.

The names are imported on first use (PEP 562): ``python -m migrator`` and
``import migrator.<module>`` load only the modules the command needs.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from migrator.config import Options, load_options, load_projects
    from migrator.errors import ConfigError, InputError, MigratorError
    from migrator.findings import FileResult, Finding
    from migrator.manifest import Manifest, Vocabulary, load_manifest, parse_version
    from migrator.pipeline import Run, run
    from migrator.write import rollback, write

# Each public name and the module that defines it.
_HOMES = {
    "ConfigError": "errors",
    "FileResult": "findings",
    "Finding": "findings",
    "InputError": "errors",
    "Manifest": "manifest",
    "MigratorError": "errors",
    "Options": "config",
    "Run": "pipeline",
    "Vocabulary": "manifest",
    "load_manifest": "manifest",
    "load_options": "config",
    "load_projects": "config",
    "parse_version": "manifest",
    "rollback": "write",
    "run": "pipeline",
    "write": "write",
}

__all__ = sorted(_HOMES)


def lazy_exports(package: str, homes: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's module ``__getattr__`` and ``__dir__`` (PEP 562) for names
    imported on first use: ``homes`` maps each name to the submodule that
    defines it."""
    namespace = sys.modules[package].__dict__

    def getattr_(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        namespace[name] = value  # once found, a plain attribute
        return value

    def dir_() -> list[str]:
        return sorted([*namespace, *homes])

    return getattr_, dir_


__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
