"""Blinker signals of OpenClaw session changes; importing receivers connects them."""

from . import receivers  # noqa: F401
