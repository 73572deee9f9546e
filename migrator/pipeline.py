"""The one pipeline: discover -> prefilter -> survey -> engine per file ->
findings and proposed edits. Reports, diffs and writes consume its result;
nothing downstream re-reads a file to learn what the engines already know.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from migrator.config import Options
from migrator.engines import Context, Engine, engine_by_kind, registered
from migrator.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_UNREADABLE
from migrator.files import Missing, SourcePath, discover
from migrator.findings import FileResult, Finding

# Below this many files to parse, worker start-up costs more than it saves.
PARALLEL_THRESHOLD = 24

Progress = Callable[[int, int], None]


@dataclass
class Run:
    """The outcome of one pass of the pipeline over the given paths."""

    options: Options
    results: list[FileResult] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    files_seen: int = 0
    files_parsed: int = 0

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

    @property
    def errors(self) -> list[tuple[str, str]]:
        """``(display path, message)`` for every input that could not be used."""
        out = [(m.display, m.reason) for m in self.missing]
        out += [(r.display, r.error) for r in self.results if r.error]
        return out

    @property
    def changed(self) -> list[FileResult]:
        return [r for r in self.results if r.changed and not r.error]

    @property
    def notes(self) -> list[str]:
        return [n for r in self.results for n in r.notes]

    def exit_code(self, *, changes: bool = False) -> int:
        """3 if an input could not be used, else 1 if there is anything to
        report (findings, or with ``changes`` only pending changes), else 0."""
        if self.errors:
            return EXIT_UNREADABLE
        if changes:
            return EXIT_FINDINGS if self.changed else EXIT_CLEAN
        return EXIT_FINDINGS if self.findings else EXIT_CLEAN


@dataclass(frozen=True)
class _Work:
    kind: str
    source: SourcePath
    data: bytes | None


def _claim(source: SourcePath, engines: list[Engine], options: Options) -> Engine | None:
    for engine in engines:
        if engine.claims(source, options):
            return engine
    return None


def collect(options: Options, run: Run) -> tuple[list[_Work], Context]:
    """Discover, read, prefilter and survey: the work for the engines."""
    engines = registered()
    work: list[_Work] = []
    surveyed: dict[str, list[tuple[SourcePath, Any]]] = {e.kind: [] for e in engines}
    for item in discover(options):
        if isinstance(item, Missing):
            run.missing.append(item)
            continue
        engine = _claim(item, engines, options)
        if engine is None:
            continue
        run.files_seen += 1
        if not engine.reads_bytes:
            work.append(_Work(engine.kind, item, None))
            continue
        try:
            with open(item.path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            run.results.append(
                FileResult(item.path, item.display, engine.kind, error=f"cannot read: {exc.strerror or exc}")
            )
            continue
        fact = engine.survey(item, data)
        if fact is not None:
            surveyed[engine.kind].append((item, fact))
        if engine.prefilter(data):
            work.append(_Work(engine.kind, item, data))
    facts = {e.kind: e.gather(surveyed[e.kind], options) for e in engines}
    return work, Context(options, facts)


def _process(work: _Work, context: Context) -> FileResult:
    engine = engine_by_kind(work.kind)
    engine.claims(work.source, context.options)  # lets the engine prepare its patterns
    try:
        result = engine.process(work.source, work.data, context)
    except RecursionError:
        return FileResult(work.source.path, work.source.display, work.kind, error="too deeply nested to analyse")
    if result.changed and not result.error:
        problem = engine.verify(work.source, result, context)
        if problem:
            # Safety is a step, not an afterthought: the file stays as it is.
            result.updated = None
            result.plan = None
            result.error = f"safety check failed, file left unchanged: {problem}"
    return result


_WORKER_CONTEXT: Context | None = None


def _init_worker(context: Context) -> None:
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = context


def _process_in_worker(work: _Work) -> FileResult:
    assert _WORKER_CONTEXT is not None
    return _process(work, _WORKER_CONTEXT)


def _execute(work: list[_Work], context: Context, progress: Progress | None) -> Iterator[FileResult]:
    jobs = context.options.jobs
    total = len(work)
    if jobs > 1 and total >= PARALLEL_THRESHOLD:
        chunk = max(1, min(32, total // (jobs * 4)))
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(context,)) as pool:
            for done, result in enumerate(pool.map(_process_in_worker, work, chunksize=chunk), start=1):
                if progress:
                    progress(done, total)
                yield result
    else:
        for done, item in enumerate(work, start=1):
            yield _process(item, context)
            if progress:
                progress(done, total)


def run(options: Options, progress: Progress | None = None) -> Run:
    """Run the pipeline over ``options.paths`` and return every result."""
    outcome = Run(options)
    work, context = collect(options, outcome)
    outcome.files_parsed = len(work)
    outcome.results.extend(_execute(work, context, progress))
    outcome.results.sort(key=lambda r: r.display)
    return outcome


def cpu_jobs() -> int:
    return os.cpu_count() or 1
