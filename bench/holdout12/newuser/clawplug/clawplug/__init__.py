"""A small plugin host around OpenClaw sessions, built on pluggy.

Third-party plugins register under the ``clawplug`` entry point group and
implement any of the hooks in ``clawplug.hookspecs``.
"""

import pluggy

hookimpl = pluggy.HookimplMarker("clawplug")

__all__ = ["hookimpl"]
