"""Errors a user can hit, each with the exit code the CLI returns for it."""

from __future__ import annotations

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_UNREADABLE = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


def error_line(message: str) -> str:
    """The one form of an error a command prints before it exits: every
    command (scan, apply, gateway, plugin, ...) says it the same way."""
    return f"migrator: error: {message}"


class MigratorError(Exception):
    """An error with a one-line message meant for the user."""

    exit_code = EXIT_USAGE


class ConfigError(MigratorError):
    """Bad configuration, manifest or command-line usage (exit 2)."""

    exit_code = EXIT_USAGE


class InputError(MigratorError):
    """An input that cannot be read, parsed or written safely (exit 3)."""

    exit_code = EXIT_UNREADABLE


class ChangeError(InputError):
    """A change that cannot be applied; the file is left as it was.

    Raised by a change's ``apply`` (see :mod:`migrator.changes`) so that the
    writer tells a refused change from a bug (which raises anything else).
    """


class StalePlan(ChangeError):
    """The file changed since the change was planned: it is left as it is."""
