"""The command line: parse arguments, call the library, print, exit.

Exit codes: 0 nothing found / nothing to change, 1 findings (or, with
``--check``, changes pending; or a store kept from a contract for its
gateway), 2 usage, configuration or internal error (a path that does not
exist), 3 some inputs could not be read, parsed or written safely, 130
interrupted.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import os
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

from migrator import progress, report
from migrator.compat.command import gateway
from migrator.config import Options, closest, load_options
from migrator.errors import (
    EXIT_CLEAN, EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_UNREADABLE, EXIT_USAGE, MigratorError, error_line,
)
from migrator.findings import CONFIDENCES
from migrator.journal import JOURNAL_DIR
from migrator.manifest import PHASES, load_manifest
from migrator.pipeline import Run, run
from migrator.plugin.command import plugin
from migrator.rules import all_rules, rule_for

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, code: int) -> None:
    click.echo(error_line(message), err=True)
    sys.exit(code)


def _interrupted() -> None:
    """Ctrl-C: one line, the exit handlers, exit 130. Not through
    ``sys.exit``: when the interrupt came while Python ran code compiled
    from a string (a dataclass's methods, built as its module is imported),
    CPython remembers it as unhandled however it was caught, and at exit
    kills itself with SIGINT instead of exiting 130."""
    import atexit

    click.echo(error_line("interrupted; nothing was written"), err=True)
    atexit._run_exitfuncs()  # staged files are removed as on any exit
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)


def handle_errors(fn: F) -> F:
    """Turn every error a user can hit into one line and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except MigratorError as exc:
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            # Writes stop at a file boundary on their own (see write.write);
            # reaching here, nothing was being written.
            _interrupted()
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # a bug: still one line, and exit 2
            _fail(f"internal error: {type(exc).__name__}: {exc}", EXIT_USAGE)

    return wrapper  # type: ignore[return-value]


def run_options(fn: F) -> F:
    """Options shared by ``scan`` and ``apply``."""
    decorators = [
        click.argument("paths", nargs=-1, type=click.Path(path_type=str)),
        click.option("--phase", type=click.Choice(PHASES), help="expand (readers accept both names) or contract."),
        click.option("--min-confidence", type=click.Choice(CONFIDENCES), help="Lowest confidence rewritten (default: likely)."),
        click.option("--jobs", "-j", type=click.IntRange(min=0), default=None, help="Parallel workers (default and 0: all cores)."),
        click.option("--target-version", help="OpenClaw gateway version the code must talk to; picks the phase."),
        click.option("--gateway-version", help="Version of the gateway that owns the stores (data migration gate)."),
        click.option("--config", type=click.Path(dir_okay=False), metavar="PATH",
                     help="A pyproject.toml to read [tool.migrator] from (default: the nearest one above the paths)."),
        click.option("--no-cache", is_flag=True, help="Analyse every file again; neither read nor write .migrator/cache."),
        click.option("--exclude", multiple=True, metavar="GLOB",
                     help="Exclude these globs instead of [tool.migrator] exclude (repeatable)."),
        click.option("--extend-exclude", multiple=True, metavar="GLOB",
                     help="Exclude these globs as well as [tool.migrator] exclude (repeatable)."),
        click.option("--state-dir", metavar="DIR", default=None,
                     help="Also migrate the OpenClaw state dir DIR (DIR is required; see --default-state-dir)."),
        click.option("--default-state-dir", is_flag=True,
                     help="Also migrate the default state dir: $OPENCLAW_STATE_DIR, else ~/.openclaw."),
        click.option("--stdin-filename", metavar="PATH",
                     help="With '-' as the path: the file the standard input stands for (picks engine and config)."),
        click.option("--quiet", "-q", is_flag=True, help="Print findings and errors only: no notes, no summary."),
        click.option("--verbose", "-v", is_flag=True, help="Also print the configuration, phase and cache use."),
    ]
    for decorator in reversed(decorators):
        fn = decorator(fn)
    return fn


def _state_dir(state: str | None, default: bool) -> str | None:
    """The state dir named by ``--state-dir DIR`` or ``--default-state-dir``."""
    if state is not None and state.startswith("-"):
        # A value that looks like an option is one the user meant as an option.
        raise MigratorError(f"--state-dir needs a directory, not '{state}' (for the default one: --default-state-dir)")
    if default:
        if state is not None:
            raise MigratorError("--state-dir DIR and --default-state-dir exclude each other")
        from migrator.statedir import default_state_dir

        return str(default_state_dir())
    return state


def _options(paths: tuple[str, ...], **kwargs: Any) -> tuple[Options, ...]:
    """One :class:`Options` per project the paths lie in (see ``load_projects``)."""
    state = _state_dir(kwargs.get("state_dir"), bool(kwargs.get("default_state_dir")))
    if state is not None and os.path.exists(state):
        from migrator.statedir import is_state_dir

        # Else a typo'd directory is walked as a project and the run "succeeds".
        option = "--default-state-dir" if kwargs.get("default_state_dir") else "--state-dir"
        if not os.path.isdir(state):
            raise MigratorError(f"{option} {state}: not a directory")
        if not is_state_dir(Path(state)) and not kwargs.get("quiet"):
            # An empty one is a fresh install: said, not refused.
            click.echo(f"warning: {option} {state}: not an OpenClaw state dir (neither openclaw.json nor agents/ "
                       "in it); no session store found", err=True)
    if state is not None:
        # Given alone, the state dir is the whole run; beside paths, one more root.
        paths = (*paths, state)
    if kwargs.get("quiet") and kwargs.get("verbose"):
        raise MigratorError("--quiet and --verbose exclude each other")
    from migrator.config import load_projects

    return load_projects(
        paths,
        phase=kwargs.get("phase"),
        min_confidence=kwargs.get("min_confidence"),
        jobs=kwargs.get("jobs"),
        target_version=kwargs.get("target_version"),
        gateway_version=kwargs.get("gateway_version"),
        config=kwargs.get("config"),
        use_cache=False if kwargs.get("no_cache") else None,
        exclude=tuple(kwargs["exclude"]) if kwargs.get("exclude") else None,
        extend_exclude=tuple(kwargs.get("extend_exclude") or ()),
    )


def _stdin_path(paths: tuple[str, ...], kwargs: dict[str, Any]) -> str | None:
    """The ``--stdin-filename`` when the input is ``-``; a usage error when
    the two are not given together."""
    name = kwargs.get("stdin_filename")
    if "-" not in paths:
        if name is not None:
            raise MigratorError("--stdin-filename needs '-' as the path")
        return None
    if paths != ("-",):
        raise MigratorError("'-' (standard input) cannot be mixed with other paths")
    if not name:
        raise MigratorError("'-' needs --stdin-filename PATH (the path picks the engine and the configuration)")
    return str(name)


@functools.cache
def _stdin_bytes() -> bytes:
    """Standard input, read once (``apply -`` echoes it when no engine claims it)."""
    return click.get_binary_stream("stdin").read()


def _run(paths: tuple[str, ...], kwargs: dict[str, Any]) -> Run:
    """The pipeline over the paths (or standard input), with a progress bar
    when a person watches a terminal."""
    stdin = _stdin_path(paths, kwargs)
    projects = _options((stdin,) if stdin else paths, **kwargs)
    if kwargs.get("write") and stdin is None:
        projects = tuple(dataclasses.replace(options, stage=True) for options in projects)
    if kwargs.get("verbose"):
        for line in _config_lines(projects):
            click.echo(line, err=True)
    if stdin is not None:
        from migrator.stdin import run_stdin

        result = run_stdin(projects[0], stdin, _stdin_bytes())
    else:
        bar = progress.bar_for()
        try:
            result = run(projects, bar)
        finally:
            if bar is not None:
                bar.close()
    if kwargs.get("verbose"):
        click.echo(f"{report.count(result.files_seen, 'file')} claimed, {result.files_parsed} past the prefilter, "
                   f"{result.cache_hits} from the cache, {result.files_analysed} analysed", err=True)
    return result


def _config_lines(projects: tuple[Options, ...]) -> list[str]:
    """``-v``: each project's configuration, and with several what they share
    (the settings of a run are the command line's, never a table's)."""
    from migrator.config import find_config

    lines = []
    for options in projects:
        where = options.config_file or "none (defaults)"
        whose = ""
        if len(projects) > 1:
            # Under no table of its own, a path goes with the first project.
            shown = [f"{p} (under no project)" if find_config(Path(os.path.abspath(p))) is None else str(p)
                     for p in options.paths]
            whose = f" for {', '.join(shown)}"
        lines.append(f"config: {where}{whose}; phase {options.phase} ({options.phase_source}); "
                     f"cache {'off' if options.cache_dir is None else 'on'}")
    if len(projects) > 1:
        lines.append(f"{len(projects)} projects in one run: one report, one exit code, one journal run id; "
                     f"shared by all: --jobs {projects[0].jobs} and the other command-line options")
    return lines


def _check_output(output: str | None) -> None:
    """A report file that cannot be written is a usage error, found before
    the run rather than after it."""
    if output and not Path(output).absolute().parent.is_dir():
        raise MigratorError(f"{output}: cannot write the report: no such directory")


def _emit(text: str, output: str | None) -> None:
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise MigratorError(f"{output}: cannot write the report: {exc.strerror or exc}") from None
    else:
        click.echo(text, nl=False)


def _print_errors(result: Run) -> None:
    for line in report.render_errors(result):
        click.echo(line, err=True)


def _colour() -> bool:
    """Colour on a terminal, unless NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    # Looked up only when asked: reading package metadata costs every run time.
    if value and not ctx.resilient_parsing:
        click.echo(f"{report.DISTRIBUTION} {report.tool_version() or '(not installed)'}")
        ctx.exit()


def entry() -> None:
    """The ``migrator`` command's process: the collector tuned for a run
    that builds millions of short-lived, acyclic objects (trees, facts),
    then the command line."""
    tune_collector()
    main()


def tune_collector() -> None:
    """What is imported by now lives as long as the process: frozen, the
    cyclic collector never walks it again (forked workers inherit that).
    Young objects are collected after 50,000 allocations, not 700: a cold
    scan of a 12,000-file tree spent a tenth of its time collecting."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and exit.")
def main() -> None:
    """Carry OpenClaw callers, stored sessions and clients through the
    session-status rename (failed -> interrupted, timeout ->
    waiting_for_response, done -> agent_responded, killed -> halted)."""


@main.command()
@run_options
@click.option("--format", "fmt", type=click.Choice(list(report.RENDERERS)), default="text", show_default=True,
              help="text, json, sarif (code scanning) or github (workflow annotations).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to a file.")
@click.option("--show-why", is_flag=True, help="Text format: follow each finding with why it was found.")
@click.option("--statistics", is_flag=True, help="Text format: counts per rule and per kind instead of each finding.")
@handle_errors
def scan(paths: tuple[str, ...], fmt: str, output: str | None, show_why: bool, statistics: bool, **kwargs: Any) -> None:
    """Report every finding in code, data and configs. Changes nothing.

    Exit 0: nothing found; 1: findings; 2: usage or configuration error;
    3: some input could not be read or parsed."""
    for flag, given in (("--statistics", statistics), ("--show-why", show_why)):
        if given and fmt != "text":
            # json and sarif carry every why already; silence would hide a typo.
            raise click.UsageError(f"{flag} applies to the text format only, not --format {fmt}")
    _check_output(output)
    result = _run(paths, kwargs)
    _print_errors(result)
    if fmt == "text":
        text = report.render_text(result, show_why=show_why, statistics=statistics,
                                  quiet=kwargs.get("quiet", False), colour=not output and _colour())
    else:
        text = report.RENDERERS[fmt](result)
    _emit(text, output)
    sys.exit(result.exit_code())


def _refuse_dirty(result: Run) -> None:
    """``--write`` leaves files with uncommitted changes alone unless told."""
    from migrator.gitstate import uncommitted

    dirty = uncommitted([r.path for r in result.changed])
    if not dirty:
        return
    shown = {r.path: r.display for r in result.changed}
    names = ", ".join(shown[p] for p in dirty[:3]) + (", ..." if len(dirty) > 3 else "")
    what = f"{names} has" if len(dirty) == 1 else f"{len(dirty)} files to rewrite have"
    raise MigratorError(f"{what} uncommitted changes; commit or stash them first, or pass --allow-dirty")


@main.command()
@run_options
@click.option("--check", is_flag=True, help="Change nothing; print 'would rewrite PATH' per file and exit 1 if any.")
@click.option("--diff", "show_diff", is_flag=True, help="With --check: also print the diff.")
@click.option("--write", is_flag=True, help="Apply the changes (journalled; see `migrator rollback`).")
@click.option("--allow-dirty", is_flag=True, help="With --write: rewrite files that have uncommitted git changes.")
@click.option("--emit-patches", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="Write the RFC 6902 patch of every changed data file into DIR, for review.")
@handle_errors
def apply(paths: tuple[str, ...], check: bool, show_diff: bool, write: bool, allow_dirty: bool,
          emit_patches: Path | None, **kwargs: Any) -> None:
    """Rewrite what provenance allows.

    Without --check or --write: print the diff, change nothing and exit 0
    (3 if some input could not be read). --check: exit 1 if anything would
    change. --write: rewrite the files and exit 0. With '-': read standard
    input and print the rewritten file (see --stdin-filename)."""
    if check and write:
        raise click.UsageError("--check and --write exclude each other")
    quiet = kwargs.get("quiet", False)
    result = _run(paths, {**kwargs, "write": write})
    _print_errors(result)
    if emit_patches is not None:
        from migrator.patches import emit

        for written in emit(result, emit_patches):
            click.echo(f"patch {written}", err=True)
    if kwargs.get("stdin_filename") and paths == ("-",):
        _apply_stdin(result, check, show_diff, quiet)
    if check:
        _print_check(result, show_diff, quiet)
        sys.exit(result.exit_code(changes=True))
    if not write:
        click.echo(report.render_diff(result), nl=False)
        if not quiet:
            click.echo(report.summary_line(result), err=True)
        code = result.exit_code()
        sys.exit(code if code in (EXIT_USAGE, EXIT_UNREADABLE) else EXIT_CLEAN)
    if not allow_dirty:
        _refuse_dirty(result)
    from migrator.write import write as write_run

    outcome = write_run(result, on_write=None if quiet else lambda display: click.echo(f"rewrote {display}", err=True))
    for display in outcome.stale:
        click.echo(f"error: {display}: changed since it was read; left as it is (run again)", err=True)
    for display, message in outcome.failed:
        click.echo(f"error: {display}: {message}", err=True)
    shown = [_shown(home / JOURNAL_DIR) for home in outcome.journals]
    tail = f"; journal {outcome.run_id} in {', '.join(shown)}" if outcome.run_id else ""
    undo = _undo_command(outcome.journals) if outcome.run_id and not outcome.interrupted else None
    if undo is not None:
        tail += f" (undo the whole run: `{undo}`)"
    if not quiet:
        click.echo(f"{report.count(len(outcome.written), 'file')} rewritten{tail}. {report.summary_line(result)}", err=True)
    if outcome.interrupted:
        undo = f"`{_rollback_naming(outcome.journals)}`" if outcome.run_id else "nothing to undo"
        click.echo(f"interrupted: {len(outcome.interrupted)} files not written yet; run the same command again "
                   f"to finish, or {undo} to undo", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if any(m.usage for m in result.missing):
        sys.exit(EXIT_USAGE)
    if result.errors or outcome.stale or outcome.failed:
        sys.exit(EXIT_UNREADABLE)
    sys.exit(EXIT_FINDINGS if result.waiting else EXIT_CLEAN)


def _undo_command(homes: list[Path]) -> str | None:
    """The one ``rollback`` that undoes a run journalled in ``homes``, from
    here: a bare ``migrator rollback`` when it reads every one of them, else
    one naming them. None for a run in one journal that the bare command
    reads (nothing to add to the line naming the journal)."""
    from migrator.write import reached_from

    try:
        here = _here_root().absolute()
    except MigratorError:
        here = None  # a table here that cannot be read: the bare command would fail too
    if here is not None and all(reached_from(here, home.absolute()) for home in homes):
        return "migrator rollback" if len(homes) > 1 else None
    return _rollback_naming(homes)


def _rollback_naming(homes: list[Path]) -> str:
    """``migrator rollback`` given each of ``homes``, as a shell takes them."""
    import shlex

    return "migrator rollback " + " ".join(shlex.quote(_shown(home)) for home in homes)


def _here_root() -> Path:
    """Where a ``rollback`` without paths looks: the current directory's
    project root (the directory itself under no project)."""
    return load_options(()).root


def _shown(path: Path) -> str:
    """A path as ``apply`` prints paths: relative to the current directory when under it."""
    from migrator.files import display_path

    return display_path(path.absolute(), Path.cwd().absolute())


def _print_check(result: Run, show_diff: bool, quiet: bool) -> None:
    """What black prints for --check: a line per file, then a summary."""
    if show_diff:
        click.echo(report.render_diff(result), nl=False)
    for changed in result.changed:
        click.echo(f"would rewrite {changed.display}", err=True)
    if not quiet:
        click.echo(report.check_summary(result), err=True)


def _apply_stdin(result: Run, check: bool, show_diff: bool, quiet: bool) -> None:
    """``apply -``: the new file on stdout (the input itself when nothing
    changes), or with --check only the verdict."""
    if check:
        _print_check(result, show_diff, quiet)
        sys.exit(result.exit_code(changes=True))
    # An editor replaces its buffer with this output: on an error too, the
    # input comes back as it was, never an empty file.
    out = _stdin_bytes()
    for file_result in result.results:
        if file_result.error is None and file_result.updated is not None:
            out = file_result.updated
    click.get_binary_stream("stdout").write(out)
    if not quiet:
        click.echo(report.summary_line(result), err=True)
    sys.exit(EXIT_UNREADABLE if result.errors else EXIT_CLEAN)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--state-dir", default=None, metavar="DIR",
              help="Undo in the journal of the OpenClaw state dir DIR (DIR is required; see --default-state-dir).")
@click.option("--default-state-dir", is_flag=True,
              help="Undo in the default state dir's journal: $OPENCLAW_STATE_DIR, else ~/.openclaw.")
@click.option("--run", "run_id", metavar="ID", help="The run to undo (default: the latest not rolled back yet).")
@click.option("--list", "list_runs", is_flag=True, help="List the runs of the journal (id, time, files, phase).")
@click.option("--force", is_flag=True, help="Restore files changed since the run too (their diff is shown first).")
@click.option("--quiet", "-q", is_flag=True, help="Print conflicts and errors only: no restored files, no summary.")
@handle_errors
def rollback(paths: tuple[Path, ...], state_dir: str | None, default_state_dir: bool, run_id: str | None,
             list_runs: bool, force: bool, quiet: bool) -> None:
    """Restore the files of an `apply --write` run.

    The journal of a change is kept beside what it changed: PATHS (default:
    the project root) and --state-dir name where to look; below a directory,
    every project's journal is read, so a write over several projects from
    here is undone as one run. A second rollback steps back to the run before."""
    from migrator.write import journal_roots, rollback as do_rollback, runs

    given, states = list(paths), []
    state = _state_dir(state_dir, default_state_dir)
    if state is not None:
        states.append(Path(state))
    if not given and not states:
        given = [_here_root()]
    hint = "--default-state-dir" if default_state_dir else "--state-dir"
    for path, where in [*((p, "PATHS") for p in given), *((s, hint) for s in states)]:
        if not path.exists():
            raise click.BadParameter(f"{path}: no such file or directory", param_hint=where)
    given += states
    roots = journal_roots([p for p in given if p not in states], states)
    if list_runs:
        listed = list(runs(roots))
        for root, info in listed:
            state = "  rolled back" if info.rolled_back else ""
            click.echo(f"{info.id}  {info.time}  {report.count(info.files, 'file')}  "
                       f"{info.phase or '-'}  {_shown(root)}{state}")
        if not listed:
            click.echo("no runs journalled", err=True)
        return
    # Said as the places looked in, when none of them holds a journal.
    looked = ", ".join(f"{p.absolute() / JOURNAL_DIR}" + ("" if p in states or not p.is_dir() else
                                                           f" or below {p.absolute()}") for p in given)
    done = do_rollback(roots or given, run_id, force, where=None if roots else looked)
    for undone in done.undone:
        if quiet and undone.outcome not in ("conflict", "missing"):
            continue
        note = f" ({undone.note})" if undone.note else ""
        click.echo(f"{undone.outcome}: {_shown(Path(undone.path))}{note}", err=True)
        if undone.diff:
            click.echo(undone.diff, nl=False)
    restored = sum(u.outcome.startswith("restored") for u in done.undone)
    left = [u for u in done.undone if u.outcome in ("conflict", "missing")]
    if not quiet:
        click.echo(f"rolled back {done.run_id}: {restored} restored, {len(left)} left as they are", err=True)
    if done.elsewhere:
        # Read from the run's own first lines: a part of it this rollback did not reach.
        click.echo(f"note: run {done.run_id} also wrote files journalled in {', '.join(map(_shown, done.elsewhere))}, "
                   f"not undone here; `{_rollback_naming(done.elsewhere)}` undoes them", err=True)
    sys.exit(EXIT_UNREADABLE if left else EXIT_CLEAN)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "toml"]), default="text", show_default=True)
@handle_errors
def rules(fmt: str) -> None:
    """Print the rename manifest and the rules derived from it."""
    manifest = load_manifest()
    if fmt == "toml":
        click.echo(manifest.source, nl=False)
        return
    vocab = manifest.vocabulary
    click.echo(f"{manifest.id}: {manifest.title}")
    for old, new in vocab.old_to_new.items():
        click.echo(f"  {old} -> {new}")
    for value in vocab.unchanged:
        click.echo(f"  {value} (unchanged)")
    s = manifest.schedule
    click.echo(f"introduced {s.introduced_text}, sunset {s.sunset_text}; capability {manifest.capability}")
    for rule in all_rules():
        click.echo(f"{rule.name}: {rule.summary}")


@main.command()
@click.argument("rule")
@handle_errors
def explain(rule: str) -> None:
    """Print what a rule does, why, and its examples."""
    found = rule_for(rule)
    if found is not None:
        click.echo(found.explain())
        return
    names = [r.name for r in all_rules()]
    close = closest(rule, names)
    hint = f", did you mean '{close}'?" if close else ""
    raise MigratorError(f"unknown rule '{rule}'{hint} (known: {', '.join(names)})")


main.add_command(gateway)
main.add_command(plugin)


if __name__ == "__main__":  # pragma: no cover
    main()
