"""Install the plugin into an OpenClaw state dir, and take it out again.

Both run OpenClaw's own CLI (``openclaw plugins install DIR --force
--accept-capabilities``, ``openclaw plugins uninstall ID --force``) against the
state dir. An install is more than a copy into ``extensions/<id>``: OpenClaw
also enables the plugin in ``openclaw.json`` and records it in a generated
plugin index inside its state database (marked "DO NOT EDIT"), and uninstall
undoes all three. Writing those by hand would be a second copy of OpenClaw's
installer that drifts with every release; running it is the way its CLI does it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from migrator.errors import ConfigError, MigratorError
from migrator.manifest import Manifest
from migrator.plugin.generate import PluginOptions, plugin_id, render, write_plugin

DEFAULT_OPENCLAW = "openclaw"
_TIMEOUT = 600


class PluginInstallError(MigratorError):
    """OpenClaw's CLI refused or failed to install or remove the plugin (exit 2)."""


def resolve_state_dir(state_dir: Path | None) -> Path:
    """The state dir given, else ``$OPENCLAW_STATE_DIR``, else ``~/.openclaw``; it must exist."""
    from migrator.targets import default_state_dir

    where = state_dir if state_dir is not None else default_state_dir()
    if not where.is_dir():
        raise ConfigError(f"{where}: not an OpenClaw state dir (no such directory)")
    return where


def install(
    manifest: Manifest,
    state_dir: Path | None,
    options: PluginOptions,
    source: Path | None = None,
    openclaw: str = DEFAULT_OPENCLAW,
) -> Path:
    """Write the plugin (into ``source``, else a temporary dir), install and
    enable it in the state dir with OpenClaw's CLI, and check that the
    installed files are the ones written. Return the installed directory."""
    state = resolve_state_dir(state_dir)
    pid = plugin_id(manifest)
    files = render(manifest, options)
    with tempfile.TemporaryDirectory(prefix="migrator-plugin-") as scratch:
        # OpenClaw names the installed copy by the plugin id, not the source dir.
        directory = source if source is not None else Path(scratch) / pid
        write_plugin(manifest, directory, options)
        _run(openclaw, state, "install", ["plugins", "install", str(directory.resolve()), "--force", "--accept-capabilities"])
    installed = state / "extensions" / pid
    for name, data in files.items():
        path = installed / name
        if not path.is_file() or path.read_bytes() != data:
            raise PluginInstallError(f"{path}: OpenClaw's install did not leave the file migrator wrote")
    return installed


def uninstall(manifest: Manifest, state_dir: Path | None, openclaw: str = DEFAULT_OPENCLAW) -> Path:
    """Remove the plugin from the state dir with OpenClaw's CLI (its files,
    its ``plugins.entries`` settings and its index record). Return the state dir."""
    state = resolve_state_dir(state_dir)
    pid = plugin_id(manifest)
    if not (state / "extensions" / pid).exists():
        raise ConfigError(f"{state / 'extensions' / pid}: plugin {pid} is not installed in this state dir")
    _run(openclaw, state, "uninstall", ["plugins", "uninstall", pid, "--force"])
    if (state / "extensions" / pid).exists():
        raise PluginInstallError(f"{state / 'extensions' / pid}: still there after OpenClaw's uninstall")
    return state


def _run(openclaw: str, state: Path, what: str, args: list[str]) -> None:
    command = shlex.split(openclaw)
    if not command or shutil.which(command[0]) is None:
        raise ConfigError(f"{openclaw}: OpenClaw's CLI not found; pass --openclaw with the command that runs it")
    env = dict(os.environ, OPENCLAW_STATE_DIR=str(state))
    try:
        done = subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PluginInstallError(f"{state}: openclaw plugins {what} did not finish: {exc}") from None
    if done.returncode != 0:
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        raise PluginInstallError(
            f"{state}: openclaw plugins {what} exited {done.returncode}: {lines[-1].strip() if lines else 'no output'}"
        )
