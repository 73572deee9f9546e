"""The one pipeline: discover -> prefilter -> survey -> engine per file ->
findings and proposed edits. Reports, diffs and writes consume its result;
nothing downstream re-reads a file to learn what the engines already know.
"""

from __future__ import annotations

import os
import sys
import signal
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from migrator.cache import Cache, Known, content_digest, open_cache, open_index
from migrator.config import Options, project_root
from migrator.engines import Context, Engine, engines_for
from migrator.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_UNREADABLE, EXIT_USAGE
from migrator.files import Missing, SourcePath, discover
from migrator.findings import FileResult, Finding, Problem
from migrator.statedir import StateDir, state_dirs
from migrator.statedir import forget as forget_state_dirs

# The process pool is imported where a run first uses one (-j on a large
# tree), not by every command.
if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# Below this many files to parse, worker start-up costs more than it saves.
# A forked worker (Linux) starts in milliseconds with everything imported; a
# spawned one imports LibCST again first.
FORK = sys.platform.startswith("linux")
PARALLEL_THRESHOLD = 8 if FORK else 24

Progress = Callable[[int, int], None]


@dataclass
class Run:
    """The outcome of one pass of the pipeline over the given paths."""

    #: The first project's options (the run's, when there is one project).
    options: Options
    results: list[FileResult] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    files_seen: int = 0
    files_parsed: int = 0
    #: Candidates answered from the content cache, and those really analysed.
    cache_hits: int = 0
    files_analysed: int = 0
    #: The OpenClaw state dirs among the given paths, with the stores found in them.
    state_dirs: tuple[StateDir, ...] = ()
    #: Every project of the run, each with its own settings (``options`` first).
    projects: tuple[Options, ...] = ()
    #: Which project each analysed file went with (by its path).
    owners: dict[Path, Options] = field(default_factory=dict)

    def options_for(self, path: Path) -> Options:
        """The options the file at ``path`` was analysed under."""
        return self.owners.get(path, self.options)

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

    @property
    def errors(self) -> list[tuple[str, str]]:
        """``(display path, message)`` for every input that could not be used
        (a store kept by the version gate is not one: see :attr:`kept`)."""
        out = [(m.display, m.reason) for m in self.missing]
        out += [(r.display, r.error.message) for r in self.results if r.error and r.error.is_error]
        return out

    @property
    def problems(self) -> list[tuple[str, Problem]]:
        """``(display path, problem)`` for every input not used or not changed."""
        out = [(m.display, Problem("unreadable", m.reason)) for m in self.missing]
        return out + [(r.display, r.error) for r in self.results if r.error]

    @property
    def kept(self) -> list[tuple[str, str]]:
        """``(display path, why)`` for every store the version gate kept."""
        return [(r.display, r.error.message) for r in self.results if r.error and not r.error.is_error]

    @property
    def waiting(self) -> bool:
        """A store was kept from a contract it was asked for: the work waits
        for its gateway (exit 1). In expand a kept store is said, but the
        phase asks nothing of it that an old gateway cannot read."""
        return any(
            r.error and not r.error.is_error and self.options_for(r.path).phase == "contract" for r in self.results
        )

    @property
    def changed(self) -> list[FileResult]:
        return [r for r in self.results if r.changed and not r.error]

    @property
    def notes(self) -> list[str]:
        return [n for r in self.results for n in r.notes]

    def exit_code(self, *, changes: bool = False) -> int:
        """2 if a given path does not exist, 3 if an input could not be used,
        else 1 if there is anything to report (findings, or with ``changes``
        only pending changes, a store kept from a contract among them), else 0."""
        if any(m.usage for m in self.missing):
            return EXIT_USAGE
        if self.errors:
            return EXIT_UNREADABLE
        if changes:
            return EXIT_FINDINGS if self.changed or self.waiting else EXIT_CLEAN
        return EXIT_FINDINGS if self.findings or self.waiting else EXIT_CLEAN


@dataclass(frozen=True)
class _Work:
    kind: str
    source: SourcePath
    #: None for a file its engine opens itself, or one the stat index
    #: answered unread (then ``digest`` is that of its bytes).
    data: bytes | None
    digest: str = ""
    #: The index of its project in the run (whose context and engines it takes).
    project: int = 0


def _claim(source: SourcePath, engines: list[Engine], options: Options) -> Engine | None:
    for engine in engines:
        if engine.claims(source, options):
            return engine
    return None


def prefilter_enabled() -> bool:
    """False only for the benchmark's measure of what the prefilter saves
    (``MIGRATOR_NO_PREFILTER=1``); read here and nowhere else."""
    return os.environ.get("MIGRATOR_NO_PREFILTER") != "1"


def _discover(projects: tuple[Options, ...], run: Run) -> list[list[SourcePath]]:
    """The files of each project. A file that the paths of two projects both
    reach (``scan . sub`` where ``sub`` has its own table) goes with the
    nearer project, the one whose root is deepest above it."""
    if len(projects) == 1:
        # One project owns every file: nothing to weigh (the weighing costs
        # about 0.2 s on a tree of 12,000 files).
        only: list[SourcePath] = []
        for item in discover(projects[0]):
            if isinstance(item, Missing):
                run.missing.append(item)
            else:
                only.append(item)
        return [only]
    found: list[list[SourcePath]] = []
    owner: dict[str, tuple[int, int]] = {}  # path -> (depth of the root, project)
    for index, options in enumerate(projects):
        root = options.root.absolute()
        mine: list[SourcePath] = []
        for item in discover(options):
            if isinstance(item, Missing):
                run.missing.append(item)
                continue
            key = str(item.path)
            depth = len(root.parts) if options.config_file and root in item.path.absolute().parents else -1
            if key in owner and owner[key][0] >= depth:
                continue
            owner[key] = (depth, index)
            mine.append(item)
        found.append(mine)
    return [[item for item in items if owner[str(item.path)][1] == index] for index, items in enumerate(found)]


def collect(options: Options, run: Run, sources: list[SourcePath] | None = None, project: int = 0,
            built: dict[str, Engine] | None = None) -> tuple[list[_Work], Context]:
    """Read, prefilter and survey one project's files (``sources``, else all
    it discovers) with its engines: the work for the engines."""
    engines = list((built or engines_for(options)).values())
    prefilter = prefilter_enabled()
    index = open_index(options, {e.kind: type(e).__module__ for e in engines})
    claimed: list[tuple[Engine, SourcePath, Any, Known | None]] = []
    for item in discover(options) if sources is None else sources:
        if isinstance(item, Missing):
            run.missing.append(item)
            continue
        engine = _claim(item, engines, options)
        if engine is None:
            continue
        run.files_seen += 1
        run.owners[item.path] = options
        stat, known = (None, None)
        if engine.reads_bytes and index is not None and prefilter:
            stat, known = index.recall(engine.kind, item)
        claimed.append((engine, item, stat, known))
    given = len(claimed)
    claimed += _project_rest(options, [item for _, item, _, _ in claimed], engines, index, prefilter)
    unread = [i for i, (engine, _, _, known) in enumerate(claimed) if engine.reads_bytes and known is None]
    # (the rest of the project is surveyed for its facts: its bytes are not kept)
    surveyed_now = dict(zip(unread, _survey_all([(*claimed[i][:2], i < given) for i in unread], index, prefilter,
                                                options.jobs)))
    work: list[_Work] = []
    passed_over: list[_Work] = []
    surveyed: dict[str, list[tuple[SourcePath, Any]]] = {e.kind: [] for e in engines}
    digests: dict[str, dict[str, str]] = {e.kind: {} for e in engines}
    for position, (engine, item, stat, known) in enumerate(claimed):
        if not engine.reads_bytes:
            work.append(_Work(engine.kind, item, None, project=project))
            continue
        data: bytes | None = None
        if known is None:
            outcome = surveyed_now[position]
            if isinstance(outcome, Problem):
                if position < given:  # facts of a file the run does not report on: skipped
                    run.results.append(FileResult(item.path, item.display, engine.kind, error=outcome))
                continue
            known, data = outcome
            if index is not None and prefilter:
                index.remember(engine.kind, item, stat, known)
        if known.fact is not None:
            surveyed[engine.kind].append((item, known.fact))
            digests[engine.kind][str(item.path)] = known.digest
        if position >= given:
            continue  # a file of the project the run does not report on: its facts only
        if known.passed:
            work.append(_Work(engine.kind, item, data, known.digest, project))
        elif known.fact is not None:
            passed_over.append(_Work(engine.kind, item, None, known.digest, project))
    if index is not None:
        index.save()
    facts = {e.kind: e.gather(surveyed[e.kind], options, digests[e.kind]) for e in engines}
    # What the tree's facts give sites though its bytes hold no old name
    # (a test with an enum member defined elsewhere): read when processed.
    adopted = {e.kind: e.adopted(facts[e.kind]) for e in engines}
    work += [w for w in passed_over if w.source.rel in adopted[w.kind]]
    return work, Context(options, facts)


def _project_rest(options: Options, items: list[SourcePath], engines: list[Engine], index: Any,
                  prefilter: bool) -> list[tuple[Engine, SourcePath, Any, Known | None]]:
    """The project is the unit of analysis: when the run names files or
    folders inside a project (the tree under its pyproject.toml), the other
    files of that project are claimed too, by the engines whose facts need
    them, and surveyed like the given ones (an unchanged file answered by
    the stat index, unopened); findings stay on the given paths."""
    wanting = [i for i, e in enumerate(engines) if e.project_facts]
    if not wanting:
        return []
    # Engines are asked in order: one after the last that wants the facts
    # never claims a file before it does (and the others' claims cost more).
    asked = engines[: wanting[-1] + 1]
    cwd = Path.cwd()
    given = [Path(os.path.normpath(p if p.is_absolute() else cwd / p)) for p in options.paths]
    # Each path's own project (the order of the paths changes nothing); a
    # project given whole is surveyed already.
    roots = {r for r in (project_root(options, path) for path in given) if r is not None} - set(given)
    if not roots:
        return []
    seen = {str(item.path) for item in items}
    rest: list[tuple[Engine, SourcePath, Any, Known | None]] = []
    for found in discover(replace(options, paths=tuple(sorted(roots)))):
        if not isinstance(found, SourcePath) or str(found.path) in seen:
            continue
        engine = _claim(found, asked, options)
        if engine is None or not engine.project_facts or not engine.reads_bytes:
            continue
        seen.add(str(found.path))
        stat, known = index.recall(engine.kind, found) if index is not None and prefilter else (None, None)
        rest.append((engine, found, stat, known))
    return rest


# Below this many files to read, forking readers costs more than it saves.
PARALLEL_SURVEY = 2000

# What forked readers survey: set before the pool starts, inherited by fork.
_SURVEYING: tuple[list[tuple[Engine, SourcePath, bool]], Any, bool] | None = None


def _survey_all(items: list[tuple[Engine, SourcePath, bool]], index: Any, prefilter: bool,
                jobs: int) -> list[tuple[Known, bytes | None] | Problem]:
    """Read, prefilter and survey ``items`` (in their order): in forked
    workers for a large tree, since reading and byte searches are most of a
    cold scan of one."""
    global _SURVEYING
    if jobs < 2 or not FORK or len(items) < PARALLEL_SURVEY:
        return [_survey(engine, item, index, prefilter, keep) for engine, item, keep in items]
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    _SURVEYING = (items, index, prefilter)
    chunk = max(64, min(256, len(items) // (jobs * 8)))
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_pool_context(), initializer=_ignore_sigint)
    try:
        found = list(pool.map(_survey_in_worker, range(len(items)), chunksize=chunk))
    except BrokenProcessPool:
        # A reader died (the OOM killer): read here instead.
        pool.shutdown(wait=True, cancel_futures=True)
        return [_survey(engine, item, index, prefilter, keep) for engine, item, keep in items]
    except BaseException:
        _stop(pool)
        raise
    finally:
        _SURVEYING = None
    pool.shutdown(wait=True)
    return found


def _stop(pool: ProcessPoolExecutor) -> None:
    """Ctrl-C (workers ignore it) or a consumer that stopped: drop the work
    not started and stop the workers instead of letting them finish it.

    The pool's own thread then finds its workers gone and sets an error on
    each future it still holds; before Python 3.12 it dies on one that
    ``map()`` had cancelled as the interrupt left it (InvalidStateError), and
    prints that traceback. That one error of that thread is not shown."""
    import threading
    from concurrent.futures import InvalidStateError

    shown = threading.excepthook

    def quiet(args: Any) -> None:
        if not (isinstance(args.exc_value, InvalidStateError)
                and args.thread is getattr(pool, "_executor_manager_thread", None)):
            shown(args)

    threading.excepthook = quiet
    try:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
    finally:
        threading.excepthook = shown


def _survey_in_worker(position: int) -> tuple[Known, bytes | None] | Problem:
    assert _SURVEYING is not None
    items, index, prefilter = _SURVEYING
    engine, item, keep = items[position]
    return _survey(engine, item, index, prefilter, keep)


def _survey(engine: Engine, item: SourcePath, index: Any, prefilter: bool,
            keep: bool = True) -> tuple[Known, bytes | None] | Problem:
    """A file's survey, and its bytes when the engine analyses it (only
    then, and only when ``keep``: a large tree's bytes are not all held at
    once, nor sent back from a worker for nothing)."""
    try:
        data = _read(item)
    except OSError as exc:
        return Problem("unreadable", f"cannot read: {exc.strerror or exc}")
    # The digest keys the cache: a run without one (``--no-cache``) needs none.
    digest = content_digest(data) if index is not None else ""
    known = index.by_digest(engine.kind, item, digest) if index is not None and prefilter else None
    if known is None:
        known = Known(digest, not prefilter or engine.prefilter(data), engine.survey(item, data))
    return known, data if known.passed and keep else None


def _read(source: SourcePath) -> bytes:
    with open(source.path, "rb") as handle:
        return handle.read()


def _process(work: _Work, context: Context, engines: dict[str, Engine] | None = None) -> FileResult:
    """One file through its engine and its safety check. Whatever the
    engine raises on it costs this file only: it is named, left unchanged."""
    try:
        return _analyse(work, context, engines or engines_for(context.options))
    except RecursionError:
        problem = Problem("crashed", "too deeply nested to analyse")
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # a parser's panic (pyo3 raises a BaseException) or a bug
        problem = Problem("crashed", f"the analysis failed on it ({type(exc).__name__}: {exc}); "
                                     f"file left unchanged")
    return FileResult(work.source.path, work.source.display, work.kind, error=problem)


def _analyse(work: _Work, context: Context, engines: dict[str, Engine]) -> FileResult:
    engine = engines[work.kind]
    result = engine.process(work.source, work.data, context)
    if result.changed and not result.error:
        problem = engine.verify(work.source, result, context)
        if problem:
            # Safety is a step, not an afterthought: the file stays as it is.
            result.updated = None
            result.plan = None
            result.error = Problem("unsafe", f"safety check failed, file left unchanged: {problem}")
    return result


@dataclass(frozen=True)
class _Project:
    """One project of a run: its context, and the engines built for its
    options that claimed its files (they keep what they learnt then)."""

    context: Context
    engines: dict[str, Engine]


_WORKER_PROJECTS: tuple[_Project, ...] = ()


def _init_worker(contexts: tuple[Context, ...], engines: tuple[dict[str, Engine], ...] | None) -> None:
    global _WORKER_PROJECTS
    # A forked worker shares the parent's engines; a spawned one builds its own.
    _WORKER_PROJECTS = tuple(_Project(c, engines[i] if engines else engines_for(c.options))
                             for i, c in enumerate(contexts))
    _ignore_sigint()


def _ignore_sigint() -> None:
    # Ctrl-C is the parent's to handle; a worker stopped by it would look
    # like one that crashed on its file.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# Tests of a worker that dies (as on a parser's segfault) name a file here.
WORKER_DIES_ENV = "MIGRATOR_TEST_WORKER_DIES_ON"


def _process_in_worker(work: _Work) -> FileResult:
    if os.environ.get(WORKER_DIES_ENV) == work.source.display:
        os.kill(os.getpid(), signal.SIGKILL)
    project = _WORKER_PROJECTS[work.project]
    result = _process(work, project.context, project.engines)
    # The parent still holds the original bytes: do not send them back.
    result.original = None
    return result


def _process_batch(items: list[_Work]) -> list[FileResult]:
    return [_process_in_worker(item) for item in items]


def _pool(jobs: int, projects: tuple[_Project, ...]) -> ProcessPoolExecutor:
    # Forked, the engines are inherited as they are; spawned, only the contexts travel.
    from concurrent.futures import ProcessPoolExecutor

    engines = tuple(p.engines for p in projects) if FORK else None
    return ProcessPoolExecutor(max_workers=jobs, mp_context=_pool_context(), initializer=_init_worker,
                               initargs=(tuple(p.context for p in projects), engines))


def _isolate(items: list[_Work], projects: tuple[_Project, ...]) -> list[FileResult]:
    """The results of ``items`` after a worker died on one of them: each
    half in a fresh process until the file that kills it is alone, which
    costs that file only (named, left unchanged) and not the run."""
    from concurrent.futures.process import BrokenProcessPool

    if not items:
        return []
    try:
        with _pool(1, projects) as pool:
            return pool.submit(_process_batch, items).result()
    except BrokenProcessPool:
        if len(items) == 1:
            item = items[0]
            return [FileResult(item.source.path, item.source.display, item.kind, error=Problem(
                "crashed", "the process analysing it died (its parser crashed); file left unchanged"))]
        middle = len(items) // 2
        return _isolate(items[:middle], projects) + _isolate(items[middle:], projects)


def _parallel(work: list[_Work], projects: tuple[_Project, ...], jobs: int) -> Iterator[FileResult]:
    """Results in the order of ``work``, from a pool of ``jobs`` workers."""
    # Small chunks for few files (balance), larger ones for many (less IPC).
    from concurrent.futures.process import BrokenProcessPool

    chunk = max(1, min(32, len(work) // (jobs * 16)))
    done = 0
    pool = _pool(jobs, projects)
    try:
        for result in pool.map(_process_in_worker, work, chunksize=chunk):
            done += 1
            yield result
    except BrokenProcessPool:
        # A worker died (a parser's segfault, the OOM killer): which file it
        # held is unknown, so the rest is isolated.
        pool.shutdown(wait=True, cancel_futures=True)
        yield from _isolate(work[done:], projects)
        return
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)


def _pool_context() -> Any:
    # Forked workers inherit the imported engines (LibCST alone takes a
    # quarter of a second to import) and the context without pickling it.
    # Only on Linux: fork is unsafe with macOS system frameworks.
    if FORK:
        import multiprocessing

        return multiprocessing.get_context("fork")
    return None


def _execute(work: list[_Work], projects: tuple[_Project, ...], progress: Progress | None) -> Iterator[FileResult]:
    # --jobs is the command line's: every project has the same.
    jobs = min(projects[0].context.options.jobs, len(work))
    total = len(work)
    if jobs > 1 and total >= PARALLEL_THRESHOLD:
        # Heavy imports happen once, here, and forked workers inherit them.
        for index, kind in sorted({(item.project, item.kind) for item in work}):
            projects[index].engines[kind].load()
        for done, (item, result) in enumerate(zip(work, _parallel(work, projects, jobs)), start=1):
            result.original = item.data
            if progress:
                progress(done, total)
            yield result
    else:
        for done, item in enumerate(work, start=1):
            own = projects[item.project]
            yield _process(item, own.context, own.engines)
            if progress:
                progress(done, total)


def _from_cache(cache: Cache | None, work: list[_Work], run: Run,
                engines: dict[str, Engine]) -> tuple[list[_Work], list[str]]:
    """Answer what the cache can; return the rest of the work and its keys."""
    if cache is None:
        return work, [""] * len(work)
    rest: list[_Work] = []
    keys: list[str] = []
    cacheable = {engine.kind for engine in engines.values() if engine.cacheable}
    for item in work:
        if not item.digest or item.kind not in cacheable:
            rest.append(item)
            keys.append("")
            continue
        key = cache.key(item.kind, item.source, item.digest)
        cached = cache.load(key, item.source, item.kind, item.data)
        if cached is not None and cached.updated is not None and item.data is None:
            # A pending change needs the bytes it was made from.
            try:
                data = _read(item.source)
            except OSError:
                data = b""
            if content_digest(data) == item.digest:
                cached.original = data
            else:
                cached = None
        if cached is None:
            rest.append(item)
            keys.append(key)
        else:
            run.results.append(cached)
    run.cache_hits += cache.hits
    return rest, keys


def _with_bytes(work: list[_Work], keys: list[str], cache: Cache | None, run: Run,
                engines: dict[str, Engine]) -> tuple[list[_Work], list[str]]:
    """Read the files the stat index answered unread that must be analysed
    after all (their cached result is missing)."""
    out: list[_Work] = []
    out_keys: list[str] = []
    for item, key in zip(work, keys):
        engine = engines[item.kind]
        if item.data is None and engine.reads_bytes:
            try:
                data = _read(item.source)
            except OSError as exc:
                run.results.append(FileResult(item.source.path, item.source.display, item.kind,
                                              error=Problem("unreadable", f"cannot read: {exc.strerror or exc}")))
                continue
            digest = content_digest(data)
            if digest != item.digest and cache is not None and key:
                key = cache.key(item.kind, item.source, digest)
            item = _Work(item.kind, item.source, data, digest, item.project)
        out.append(item)
        out_keys.append(key)
    return out, out_keys


def run(options: Options | Sequence[Options], progress: Progress | None = None) -> Run:
    """Run the pipeline over the paths of ``options`` and return every result:
    one report for the run, whose projects (one :class:`Options` each, from
    :func:`migrator.config.load_projects`) each analyse their own files under
    their own settings, facts and cache."""
    forget_state_dirs()  # read once per run, and again by the next one
    projects = (options,) if isinstance(options, Options) else tuple(options)
    given = tuple(path for project in projects for path in project.paths)
    outcome = Run(projects[0], state_dirs=state_dirs(given, projects[0].manifest), projects=projects)
    # One project discovers as it goes; several first settle who owns a file.
    sources: list[list[SourcePath] | None] = [*_discover(projects, outcome)] if len(projects) > 1 else [None]
    work: list[_Work] = []
    keys: list[str] = []
    running: list[_Project] = []
    caches: dict[int, Cache | None] = {}
    for index, (project, mine) in enumerate(zip(projects, sources)):
        engines = engines_for(project)
        found, context = collect(project, outcome, mine, index, engines)
        running.append(_Project(context, engines))
        outcome.files_parsed += len(found)
        cache = open_cache(project, context.facts)
        found, found_keys = _from_cache(cache, found, outcome, engines)
        found, found_keys = _with_bytes(found, found_keys, cache, outcome, engines)
        work += found
        keys += found_keys
        caches[index] = cache
    outcome.files_analysed = len(work)
    # Largest first: a big file picked up last would leave the other workers
    # idle while it is parsed. Results are sorted by path below anyway.
    order = sorted(range(len(work)), key=lambda i: -len(work[i].data or b""))
    work, keys = [work[i] for i in order], [keys[i] for i in order]
    for item, key, result in zip(work, keys, _execute(work, tuple(running), progress)):
        cache = caches[item.project]
        if cache is not None and key:
            cache.store(key, result)
        outcome.results.append(result)
    outcome.results.sort(key=lambda r: r.display)
    return outcome
