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
from types import ModuleType
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
    module = sys.modules[package]
    namespace = module.__dict__
    shadowed = frozenset(name for name, home in homes.items() if name == home)
    if shadowed:
        # ``write`` is both a function and the submodule that defines it.
        # Importing the submodule sets the package's attribute to the module
        # (after the module ran); keep the function there instead, as an
        # eager ``from .write import write`` would, whatever imports first.
        class _Package(type(module)):  # type: ignore[misc]
            def __setattr__(self, name: str, value: Any) -> None:
                if name in shadowed and isinstance(value, ModuleType) and value.__name__ == f"{package}.{name}":
                    value = getattr(value, name)
                super().__setattr__(name, value)

        module.__class__ = _Package

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
