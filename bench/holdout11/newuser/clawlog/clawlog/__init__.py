"""Logging for the team's OpenClaw watcher: levels, filters and structlog processors.

Session rows come from ``openclaw sessions --all-agents --limit all --json``;
each change is logged with the row's status in ``extra`` so that handlers can
route, colour or drop it.
"""

from clawlog.filters import RunOutcomeFilter, SessionStatusFilter, add_status_level

__all__ = ["RunOutcomeFilter", "SessionStatusFilter", "add_status_level"]
__version__ = "0.4.1"
