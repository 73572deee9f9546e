"""One file read from standard input (``migrator scan -``, ``apply -``), for
editors and language-server wrappers.

``--stdin-filename`` names the file the bytes stand for: its path picks the
engine (a ``.py`` is Python, ``AGENTS.md`` a prompt) and the configuration
(the nearest ``pyproject.toml`` above it), as ruff's and black's flag does.
Nothing on disk is read as the file or written.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from migrator.config import Options
from migrator.engines import Context, engines_for
from migrator.errors import MigratorError
from migrator.files import SourcePath, display_path
from migrator.findings import FileResult
from migrator.pipeline import Run, _claim, _process, _Work


def run_stdin(options: Options, filename: str, data: bytes, cwd: Path | None = None) -> Run:
    """The run of the pipeline over one file whose bytes are ``data``."""
    options = dataclasses.replace(options, cache_dir=None)  # nothing is written, a cache neither
    cwd = (cwd or Path.cwd()).absolute()
    path = Path(filename)
    path = path if path.is_absolute() else cwd / path
    source = SourcePath(path, display_path(path, cwd), path.parent, path.name, True)
    outcome = Run(options)
    engines = list(engines_for(options).values())
    engine = _claim(source, engines, options)
    if engine is None:
        return outcome  # no engine handles such a file: nothing to report
    if not engine.reads_bytes:
        raise MigratorError(f"{source.display}: a {engine.kind} file cannot be read from standard input")
    outcome.files_seen = outcome.files_parsed = outcome.files_analysed = 1
    fact = engine.survey(source, data)
    facts = {e.kind: e.gather([(source, fact)] if e is engine and fact is not None else [], options) for e in engines}
    outcome.results.append(_process_one(source, engine.kind, data, Context(options, facts)))
    return outcome


def _process_one(source: SourcePath, kind: str, data: bytes, context: Context) -> FileResult:
    result = _process(_Work(kind, source, data), context)
    result.original = data
    return result
