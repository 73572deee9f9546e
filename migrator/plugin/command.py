"""``migrator plugin``: write, install or remove the OpenClaw plugin. Parses options, nothing more."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from migrator.errors import MigratorError, error_line
from migrator.manifest import load_manifest

from migrator.plugin.generate import PluginOptions, plugin_id, write_plugin
from migrator.plugin.install import DEFAULT_OPENCLAW, install, uninstall


@click.command("plugin")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--resumable", is_flag=True,
              help="Show old names while the window is open, and mark each resumable row with resumable: true and a note.")
@click.option("--install", "do_install", is_flag=True, help="Install the plugin into the state dir and enable it.")
@click.option("--uninstall", "do_uninstall", is_flag=True, help="Remove the plugin from the state dir.")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="The OpenClaw state dir (default: $OPENCLAW_STATE_DIR or ~/.openclaw).")
# Spelled as scan, apply and rollback spell it; the default is the same without it.
@click.option("--default-state-dir", is_flag=True, help="The default state dir: $OPENCLAW_STATE_DIR, else ~/.openclaw.")
@click.option("--manifest", "manifest_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="A rename manifest (default: the built-in session-status one).")
@click.option("--openclaw", "openclaw", default=DEFAULT_OPENCLAW, show_default=True, metavar="COMMAND",
              help="The command that runs OpenClaw's CLI (--install and --uninstall run it).")
def plugin(
    directory: Path | None,
    resumable: bool,
    do_install: bool,
    do_uninstall: bool,
    state_dir: Path | None,
    default_state_dir: bool,
    manifest_path: Path | None,
    openclaw: str,
) -> None:
    """Write an OpenClaw plugin that shows agents what a session status means.

    It rewrites the statuses in sessions_list tool results to the names the
    schedule serves for the gateway's version, and adds one line of guidance
    to the agent's prompt. Nothing stored changes. DIRECTORY receives the
    plugin's files; --install installs and enables it in the state dir with
    OpenClaw's own CLI (restart the gateway after), --uninstall removes it.
    """
    try:
        manifest = load_manifest(manifest_path)
        if default_state_dir and state_dir is not None:
            raise click.UsageError("--state-dir DIR and --default-state-dir exclude each other")
        if do_install and do_uninstall:
            raise click.UsageError("--install and --uninstall exclude each other")
        if do_uninstall:
            if directory is not None or resumable:
                raise click.UsageError("--uninstall takes neither DIRECTORY nor --resumable")
            where = uninstall(manifest, state_dir, openclaw)
            click.echo(f"removed plugin {plugin_id(manifest)} from {where}")
            return
        options = PluginOptions(annotate=resumable)
        if do_install:
            where = install(manifest, state_dir, options, source=directory, openclaw=openclaw)
            click.echo(f"installed and enabled plugin {plugin_id(manifest)} in {where}; restart the gateway")
            return
        if directory is None:
            raise click.UsageError("give a DIRECTORY to write the plugin into, or --install / --uninstall")
        for path in write_plugin(manifest, directory, options):
            click.echo(str(path))
    except MigratorError as exc:
        click.echo(error_line(str(exc)), err=True)
        sys.exit(exc.exit_code)
