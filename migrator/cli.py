"""The command line: parse arguments, call the library, print, exit.

Exit codes: 0 nothing found / nothing to change, 1 findings (or, with
``--check``, changes pending; or a store kept for its gateway), 2 usage,
configuration or internal error (a path that does not exist), 3 some inputs
could not be read, parsed or written safely, 130 interrupted.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

from migrator import progress, report
from migrator.compat.command import gateway
from migrator.config import Options, load_options
from migrator.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_UNREADABLE, EXIT_USAGE, MigratorError
from migrator.findings import CONFIDENCES
from migrator.manifest import PHASES, load_manifest
from migrator.pipeline import Run, run
from migrator.rules import all_rules, rule_for

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, code: int) -> None:
    click.echo(f"migrator: error: {message}", err=True)
    sys.exit(code)


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
            _fail("interrupted; nothing was written", EXIT_INTERRUPTED)
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
        click.option("--config", type=click.Path(dir_okay=False), help="A pyproject.toml to read [tool.migrator] from."),
        click.option("--no-cache", is_flag=True, help="Analyse every file again; neither read nor write .migrator/cache."),
        click.option("--state-dir", is_flag=False, flag_value="", default=None, metavar="DIR",
                     help="Also migrate an OpenClaw state dir (alone: $OPENCLAW_STATE_DIR or ~/.openclaw)."),
    ]
    for decorator in reversed(decorators):
        fn = decorator(fn)
    return fn


def _options(paths: tuple[str, ...], **kwargs: Any) -> Options:
    state = kwargs.get("state_dir")
    if state is not None:
        from migrator.datarules import default_state_dir

        # Given alone, the state dir is the whole run; beside paths, one more root.
        paths = (*paths, state or str(default_state_dir()))
    return load_options(
        paths,
        phase=kwargs.get("phase"),
        min_confidence=kwargs.get("min_confidence"),
        jobs=kwargs.get("jobs"),
        target_version=kwargs.get("target_version"),
        gateway_version=kwargs.get("gateway_version"),
        config=kwargs.get("config"),
        use_cache=False if kwargs.get("no_cache") else None,
    )


def _run(options: Options) -> Run:
    """The pipeline, with a progress bar when a person watches a terminal."""
    bar = progress.bar_for()
    try:
        return run(options, bar)
    finally:
        if bar is not None:
            bar.close()


def _emit(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def _print_errors(result: Run) -> None:
    for line in report.render_errors(result):
        click.echo(line, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="migrator")
def main() -> None:
    """Carry OpenClaw callers, stored sessions and clients through the
    session-status rename (failed -> interrupted, timeout ->
    waiting_for_response, done -> agent_responded, killed -> halted)."""


@main.command()
@run_options
@click.option("--format", "fmt", type=click.Choice(list(report.RENDERERS)), default="text", show_default=True,
              help="text, json, sarif (code scanning) or github (workflow annotations).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to a file.")
@handle_errors
def scan(paths: tuple[str, ...], fmt: str, output: str | None, **kwargs: Any) -> None:
    """Report every finding in code, data and configs. Changes nothing."""
    options = _options(paths, **kwargs)
    result = _run(options)
    _print_errors(result)
    _emit(report.RENDERERS[fmt](result), output)
    sys.exit(result.exit_code())


@main.command()
@run_options
@click.option("--check", is_flag=True, help="Exit 1 if anything would change (for CI).")
@click.option("--write", is_flag=True, help="Apply the changes (journalled; see `migrator rollback`).")
@click.option("--emit-patches", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="Write the RFC 6902 patch of every changed data file into DIR, for review.")
@handle_errors
def apply(paths: tuple[str, ...], check: bool, write: bool, emit_patches: Path | None, **kwargs: Any) -> None:
    """Rewrite what provenance allows. A dry run printing a diff by default."""
    if check and write:
        raise click.UsageError("--check and --write exclude each other")
    options = _options(paths, **kwargs)
    result = _run(options)
    _print_errors(result)
    if emit_patches is not None:
        from migrator.patches import emit

        for written in emit(result, emit_patches):
            click.echo(f"patch {written}", err=True)
    if not write:
        click.echo(report.render_diff(result), nl=False)
        click.echo(report.summary_line(result), err=True)
        if check:
            sys.exit(result.exit_code(changes=True))
        code = result.exit_code()
        sys.exit(code if code in (EXIT_USAGE, EXIT_UNREADABLE) else EXIT_CLEAN)
    from migrator.write import write as write_run

    outcome = write_run(result, on_write=lambda display: click.echo(f"rewrote {display}", err=True))
    for display in outcome.stale:
        click.echo(f"error: {display}: changed since it was read; left as it is (run again)", err=True)
    for display, message in outcome.failed:
        click.echo(f"error: {display}: {message}", err=True)
    import shlex

    shown = [_shown(home) for home in outcome.journals]
    homes = " ".join(shlex.quote(home) for home in shown)  # as a shell command takes them
    tail = f"; journal {outcome.run_id} in {', '.join(shown)}" if outcome.run_id else ""
    click.echo(f"{report.count(len(outcome.written), 'file')} rewritten{tail}. {report.summary_line(result)}", err=True)
    if outcome.interrupted:
        undo = f"`migrator rollback {homes}`" if outcome.run_id else "nothing to undo"
        click.echo(f"interrupted: {len(outcome.interrupted)} files not written yet; run the same command again "
                   f"to finish, or {undo} to undo", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if any(m.usage for m in result.missing):
        sys.exit(EXIT_USAGE)
    if result.errors or outcome.stale or outcome.failed:
        sys.exit(EXIT_UNREADABLE)
    sys.exit(EXIT_FINDINGS if result.kept else EXIT_CLEAN)


def _shown(path: Path) -> str:
    """A path as ``apply`` prints paths: relative to the current directory when under it."""
    from migrator.files import display_path

    return display_path(path.absolute(), Path.cwd().absolute())


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--state-dir", is_flag=False, flag_value="", default=None, metavar="DIR",
              help="Undo in an OpenClaw state dir's journal (alone: $OPENCLAW_STATE_DIR or ~/.openclaw).")
@click.option("--run", "run_id", metavar="ID", help="The run to undo (default: the latest not rolled back yet).")
@click.option("--list", "list_runs", is_flag=True, help="List the runs of the journal (id, time, files, phase).")
@click.option("--force", is_flag=True, help="Restore files changed since the run too (their diff is shown first).")
@handle_errors
def rollback(paths: tuple[Path, ...], state_dir: str | None, run_id: str | None, list_runs: bool,
             force: bool) -> None:
    """Restore the files of an `apply --write` run.

    The journal of a change is kept beside what it changed: PATHS (default:
    the project root) and --state-dir name where to look. A second rollback
    steps back to the run before."""
    from migrator.write import journal_roots, rollback as do_rollback, runs

    given, states = list(paths), []
    if state_dir is not None:
        from migrator.datarules import default_state_dir

        states.append(Path(state_dir) if state_dir else default_state_dir())
    if not given and not states:
        given = [load_options(()).root]
    for path in [*given, *states]:
        if not path.exists():
            raise click.BadParameter(f"{path}: no such file or directory", param_hint="PATHS")
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
    done = do_rollback(roots or given, run_id, force)
    for undone in done.undone:
        note = f" ({undone.note})" if undone.note else ""
        click.echo(f"{undone.outcome}: {_shown(Path(undone.path))}{note}", err=True)
        if undone.diff:
            click.echo(undone.diff, nl=False)
    restored = sum(u.outcome.startswith("restored") for u in done.undone)
    left = [u for u in done.undone if u.outcome in ("conflict", "missing")]
    click.echo(f"rolled back {done.run_id}: {restored} restored, {len(left)} left as they are", err=True)
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
    known = ", ".join(r.name for r in all_rules())
    raise MigratorError(f"unknown rule '{rule}' (known: {known})")


main.add_command(gateway)


if __name__ == "__main__":  # pragma: no cover
    main()
