"""Pandas views of the team's OpenClaw sessions, for the weekly review notebook."""

__version__ = "0.1.0"
