"""``python -m migrator``."""

from migrator.cli import entry

entry()
