"""Which vocabulary a connection gets: gateway version x caps x operator mode."""

from __future__ import annotations

import datetime as dt

import pytest

from migrator.compat import Mode, Policy, deprecation_headers, negotiate
from migrator.errors import ConfigError
from migrator.manifest import load_manifest, parse_version

M = load_manifest()
CAP = M.capability
TODAY = dt.date(2027, 5, 1)


@pytest.mark.parametrize(
    ("gateway", "caps", "client", "upstream", "window"),
    [
        # an old gateway: opt-in clients get new names through translation
        ("2026.9.6", [], "old", "old", True),
        ("2026.9.6", [CAP], "new", "old", True),
        ("2026.9.6-release-eb377ac59e6c-2026-09-23T16-33-12.144Z", [CAP], "new", "old", True),
        # pre-releases of the introducing version are still old gateways
        ("2027.1.0-beta.1", [CAP], "new", "old", True),
        # the deprecation window
        ("2027.1.0", [], "old", "new", True),
        ("2027.1.0", ["other", CAP], "new", "new", True),
        ("2027.3.9-1", [], "old", "new", True),
        # past sunset old names are neither served nor accepted
        ("2027.4.0", [], "new", "new", False),
        ("2027.10.1", [CAP], "new", "new", False),
        # an unknown version: the window counts as open, the gateway as old
        ("nightly", [], "old", "old", True),
        (None, [CAP], "new", "old", True),
    ],
)
def test_auto_mode(gateway: str | None, caps: list[str], client: str, upstream: str, window: bool) -> None:
    n = negotiate(M, gateway_version=gateway, caps=caps, today=TODAY)
    assert (n.client, n.upstream, n.window_open) == (client, upstream, window)


def test_versions_are_compared_as_versions_not_text() -> None:
    # "2027.10.0" < "2027.4.0" as text; as versions it is past sunset.
    assert not negotiate(M, gateway_version="2027.10.0", caps=[], today=TODAY).window_open
    assert negotiate(M, gateway_version="2027.3.10", caps=[], today=TODAY).window_open


def test_client_version_never_decides() -> None:
    # negotiate has no client.version input at all; caps are the only signal.
    n1 = negotiate(M, gateway_version="2027.1.0", caps=[])
    assert n1.client == "old"
    assert "capability" in n1.reason


def test_mode_new_serves_new_names_without_the_capability() -> None:
    n = negotiate(M, gateway_version="2026.9.6", caps=[], policy=Policy(Mode.NEW))
    assert (n.client, n.upstream, n.translating) == ("new", "old", True)


def test_mode_legacy_serves_old_names_even_to_opted_in_clients() -> None:
    n = negotiate(M, gateway_version="2027.2.0", caps=[CAP], policy=Policy(Mode.LEGACY))
    assert n.client == "old"


def test_legacy_does_not_reopen_a_closed_window() -> None:
    n = negotiate(M, gateway_version="2027.4.0", caps=[], policy=Policy(Mode.LEGACY), today=TODAY)
    assert n.client == "new"


def test_explicit_extension_keeps_the_window_open_until_its_date() -> None:
    policy = Policy(extend_window_until=dt.date(2027, 6, 30))
    open_ = negotiate(M, gateway_version="2027.4.0", caps=[], policy=policy, today=dt.date(2027, 6, 30))
    closed = negotiate(M, gateway_version="2027.4.0", caps=[], policy=policy, today=dt.date(2027, 7, 1))
    assert (open_.client, open_.window_open) == ("old", True)
    assert (closed.client, closed.window_open) == ("new", False)


def test_configured_gateway_version_wins_over_the_announced_one() -> None:
    policy = Policy(gateway_version=parse_version("2027.1.0"))
    n = negotiate(M, gateway_version="2026.9.6", caps=[], policy=policy)
    assert n.upstream == "new" and str(n.gateway_version) == "2027.1.0"


def test_policy_check_refuses_legacy_past_sunset_without_extension() -> None:
    policy = Policy(Mode.LEGACY, gateway_version=parse_version("2027.4.0"))
    with pytest.raises(ConfigError, match="--extend-window-until"):
        policy.check(M, today=TODAY)
    Policy(Mode.LEGACY, dt.date(2027, 12, 31), parse_version("2027.4.0")).check(M, today=TODAY)


def test_deprecation_headers_follow_the_rfcs_and_the_manifest() -> None:
    assert deprecation_headers(M.schedule) == [
        ("Deprecation", "@1799971200"),  # RFC 9745: 2027-01-15T00:00:00Z
        ("Sunset", "Thu, 15 Apr 2027 00:00:00 GMT"),  # RFC 8594: an HTTP-date
        (
            "Link",
            '<https://docs.openclaw.ai/migrations/session-status>; rel="deprecation"; type="text/html", '
            '<https://docs.openclaw.ai/migrations/session-status>; rel="sunset"; type="text/html"',
        ),
    ]
