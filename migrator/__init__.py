"""migrator: carry OpenClaw through the session-status rename.

Everything the command line does, a Python caller can do::

    from migrator import load_options, run, write
    result = run(load_options(["src/"], phase="expand"))
    for finding in result.findings:
        print(finding.path, finding.line, finding.old, "->", finding.new)
    write(result)  # journalled; undo with migrator.rollback([root])

Paths of several projects, each under its own ``[tool.migrator]``:
``run(load_projects(["app/", "tools/"]))``.
"""

from migrator.config import Options, load_options, load_projects
from migrator.errors import ConfigError, InputError, MigratorError
from migrator.findings import FileResult, Finding
from migrator.write import rollback, write
from migrator.manifest import Manifest, Vocabulary, load_manifest, parse_version
from migrator.pipeline import Run, run

__all__ = [
    "ConfigError",
    "FileResult",
    "Finding",
    "InputError",
    "Manifest",
    "MigratorError",
    "Options",
    "Run",
    "Vocabulary",
    "load_manifest",
    "load_options",
    "load_projects",
    "parse_version",
    "rollback",
    "run",
    "write",
]
