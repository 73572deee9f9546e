"""``migrator gateway``: run the compatibility proxy. Parses options, nothing more."""

from __future__ import annotations

import datetime as _dt
import logging
import sys

import click
from packaging.version import Version

from migrator.errors import ConfigError, MigratorError, error_line
from migrator.manifest import parse_version

from migrator.compat.defaults import DEFAULT_LISTEN, DEFAULT_MAX_FRAME_BYTES, DEFAULT_UPSTREAM
from migrator.compat.negotiation import Mode, Policy


# Parsed in the command, not in click callbacks: a bad value is then said
# in the one form every command uses (``migrator: error: OPTION: ...``).
def _date(value: str | None) -> _dt.date | None:
    if value is None:
        return None
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--extend-window-until: {value!r} is not a date (YYYY-MM-DD)") from None


def _version(value: str | None) -> Version | None:
    if value is None:
        return None
    try:
        return parse_version(value)
    except ValueError as exc:
        raise ConfigError(f"--gateway-version: {exc}") from None


@click.command("gateway")
@click.option("--listen", default=DEFAULT_LISTEN, show_default=True, metavar="HOST:PORT", help="Where clients connect.")
@click.option("--upstream", default=DEFAULT_UPSTREAM, show_default=True, metavar="URL", help="The gateway to relay to.")
@click.option(
    "--mode",
    type=click.Choice([m.value for m in Mode]),
    default=Mode.AUTO.value,
    show_default=True,
    help="auto: by gateway version and client caps; legacy: old names for all; new: new names for all.",
)
@click.option(
    "--extend-window-until",
    metavar="DATE",
    help="Keep serving and accepting old names past sunset until this date (YYYY-MM-DD).",
)
@click.option(
    "--gateway-version",
    metavar="VERSION",
    help="The upstream's version, overriding the one it announces in hello-ok.",
)
@click.option(
    "--max-frame-bytes",
    type=click.IntRange(min=1024),
    default=DEFAULT_MAX_FRAME_BYTES,
    show_default=True,
    help="Largest frame accepted from either side.",
)
@click.option("--allow-remote", is_flag=True, help="Allow --listen on a non-loopback address.")
@click.option("--stats", is_flag=True, help="Log the old-vocabulary usage counters (and the audit's counts) on exit.")
@click.option(
    "--audit",
    is_flag=True,
    help="Search every frame sent to a client for session statuses in the other vocabulary; log the first few.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every connection's negotiation.")
def gateway(
    listen: str,
    upstream: str,
    mode: str,
    extend_window_until: str | None,
    gateway_version: str | None,
    max_frame_bytes: int,
    allow_remote: bool,
    stats: bool,
    audit: bool,
    verbose: bool,
) -> None:
    """Run a WebSocket proxy that serves each client the session-status names it
    understands, in front of an old or a new OpenClaw gateway."""
    # The WebSocket stack (asyncio, websockets) is imported only to run the
    # proxy: every other command starts without it.
    import asyncio

    from migrator.compat.audit import Audit
    from migrator.compat.proxy import event_loop_factory, proxy_config, run_proxy

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO if stats else logging.WARNING,
        format="migrator gateway: %(message)s",
        stream=sys.stderr,
    )
    # The websockets library logs every handshake at DEBUG/INFO: too much even
    # for --verbose, which is about vocabulary decisions.
    logging.getLogger("websockets").setLevel(logging.WARNING)
    try:
        policy = Policy(Mode(mode), _date(extend_window_until), _version(gateway_version))
        config = proxy_config(
            listen, upstream, policy=policy, max_frame_bytes=max_frame_bytes, allow_remote=allow_remote
        )
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(run_proxy(config, stats=stats, audit=Audit() if audit else None))
    except MigratorError as exc:
        click.echo(error_line(str(exc)), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        pass
