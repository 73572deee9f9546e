"""Errors a user can hit, each with the exit code the CLI returns for it."""

from __future__ import annotations

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_UNREADABLE = 3


class MigratorError(Exception):
    """An error with a one-line message meant for the user."""

    exit_code = EXIT_USAGE


class ConfigError(MigratorError):
    """Bad configuration, manifest or command-line usage (exit 2)."""

    exit_code = EXIT_USAGE


class InputError(MigratorError):
    """An input that cannot be read, parsed or written safely (exit 3)."""

    exit_code = EXIT_UNREADABLE
