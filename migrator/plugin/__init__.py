"""An OpenClaw plugin that shows agents what a session status means.

:func:`render` writes it from the manifest (three files, the same bytes for
the same manifest and options); :func:`install` and :func:`uninstall` put it
into an OpenClaw state dir, and take it out, the way ``openclaw plugins``
does. ``migrator plugin`` is the command.
"""

from migrator.plugin.generate import PluginOptions, plugin_id, render, write_plugin

__all__ = ["PluginOptions", "plugin_id", "render", "write_plugin"]
