"""An OpenClaw plugin that shows agents what a session status means.

:func:`render` writes it from the manifest (three files, the same bytes for
the same manifest and options); :func:`install` and :func:`uninstall` put it
into an OpenClaw state dir and take it out, by running OpenClaw's own
``openclaw plugins`` installer. ``migrator plugin`` is the command.
"""

from migrator.plugin.generate import PluginOptions, plugin_id, render, write_plugin
from migrator.plugin.install import PluginInstallError, install, uninstall

__all__ = ["PluginInstallError", "PluginOptions", "install", "plugin_id", "render", "uninstall", "write_plugin"]
