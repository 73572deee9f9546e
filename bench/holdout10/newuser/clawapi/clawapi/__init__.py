"""A small read-only HTTP API over an OpenClaw gateway, for the team's status page."""

__version__ = "0.3.1"
