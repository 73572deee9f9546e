"""Which vocabulary a connection is served, decided once per connection.

The decision rests on three inputs only: the gateway's version against the
manifest's schedule, the client's capabilities, and the operator's policy.
The client's free-text ``client.version`` never takes part: it holds ``dev``,
``1.0.0`` or an app name and says nothing about the vocabulary it expects.
"""

from __future__ import annotations

import datetime as _dt
import enum
from dataclasses import dataclass
from typing import Iterable, Literal

from packaging.version import Version

from migrator.errors import ConfigError
from migrator.manifest import Manifest, parse_version

Vocab = Literal["old", "new"]


class Mode(str, enum.Enum):
    """How the operator wants clients served."""

    AUTO = "auto"  # by the schedule and the client's capabilities
    LEGACY = "legacy"  # old names for everyone, while the window is open
    NEW = "new"  # new names for everyone, capability or not


@dataclass(frozen=True)
class Policy:
    """The operator's choices, fixed for the life of a gateway or proxy."""

    mode: Mode = Mode.AUTO
    # Past sunset the old names are refused unless the operator keeps the window
    # open until this date (inclusive) on purpose.
    extend_window_until: _dt.date | None = None
    # Overrides the version a gateway announces (for builds whose version
    # string does not say which vocabulary they speak).
    gateway_version: Version | None = None

    def check(self, manifest: Manifest, today: _dt.date | None = None) -> None:
        """Refuse a policy that contradicts itself for a known gateway version.

        Raises :class:`ConfigError` when ``legacy`` is asked for a gateway past
        sunset without an explicit, still running extension.
        """
        if self.mode is Mode.LEGACY and self.gateway_version is not None:
            if not window_open(manifest, self.gateway_version, self, today):
                raise ConfigError(
                    f"mode legacy: gateway {self.gateway_version} is past sunset "
                    f"{manifest.schedule.sunset}; extend the window with --extend-window-until DATE"
                )


@dataclass(frozen=True)
class Negotiation:
    """The outcome for one connection."""

    client: Vocab  # the vocabulary the client is served and expected to send
    upstream: Vocab  # the vocabulary the gateway stores and accepts
    window_open: bool  # whether old names are still accepted in inputs
    gateway_version: Version | None
    reason: str  # one line for logs: why this vocabulary

    @property
    def translating(self) -> bool:
        """Whether inputs need walking between the client and the gateway."""
        return self.client != self.upstream


def window_open(
    manifest: Manifest,
    gateway_version: Version | None,
    policy: Policy,
    today: _dt.date | None = None,
) -> bool:
    """Whether old names may still be served and accepted.

    An unknown gateway version counts as before sunset: refusing old names
    needs positive knowledge that the window closed.
    """
    if gateway_version is None or gateway_version < manifest.schedule.sunset:
        return True
    until = policy.extend_window_until
    return until is not None and (today or _dt.date.today()) <= until


def gateway_vocabulary(manifest: Manifest, gateway_version: Version | None) -> Vocab:
    """The vocabulary a gateway stores and accepts natively.

    An unknown version counts as old: new names written to an old gateway are
    lost (its importer turns unknown statuses into NULL), old names sent to a
    new one are accepted during the window.
    """
    if gateway_version is not None and gateway_version >= manifest.schedule.introduced:
        return "new"
    return "old"


def negotiate(
    manifest: Manifest,
    *,
    gateway_version: Version | str | None,
    caps: Iterable[str],
    policy: Policy = Policy(),
    today: _dt.date | None = None,
) -> Negotiation:
    """Decide the vocabulary of one connection.

    ``gateway_version`` is the version the gateway announces (``hello-ok``'s
    ``server.version``) or ``None``; ``policy.gateway_version`` wins over it.
    ``caps`` are the client's ``connect`` capabilities.
    """
    version = policy.gateway_version or _as_version(gateway_version)
    is_open = window_open(manifest, version, policy, today)
    opted_in = manifest.capability in set(caps)
    if policy.mode is Mode.NEW:
        client: Vocab = "new"
        reason = "mode new"
    elif not is_open:
        client = "new"
        reason = f"gateway {version} is past sunset {manifest.schedule.sunset}"
    elif policy.mode is Mode.LEGACY:
        client = "old"
        reason = "mode legacy"
    elif opted_in:
        client = "new"
        reason = f"client sent capability {manifest.capability}"
    else:
        client = "old"
        reason = f"client did not send capability {manifest.capability}"
    return Negotiation(
        client=client,
        upstream=gateway_vocabulary(manifest, version),
        window_open=is_open,
        gateway_version=version,
        reason=reason,
    )


def _as_version(value: Version | str | None) -> Version | None:
    if value is None or isinstance(value, Version):
        return value
    try:
        return parse_version(value)
    except ValueError:
        return None
