"""HTTP headers that tell a client its vocabulary is going away.

``Deprecation`` is RFC 9745 (a structured-field date, ``@`` and Unix seconds),
``Sunset`` is RFC 8594 (an HTTP-date), and ``Link`` points at the migration
guide with the relations both RFCs define. All three come from the manifest.
"""

from __future__ import annotations

import datetime as _dt
from email.utils import format_datetime

from migrator.manifest import Schedule


def deprecation_headers(schedule: Schedule) -> list[tuple[str, str]]:
    """The ``Deprecation``, ``Sunset`` and ``Link`` headers for a response
    served in the old vocabulary, as ``(name, value)`` pairs."""
    deprecated = _midnight_utc(schedule.deprecation_date)
    sunset = _midnight_utc(schedule.sunset_date)
    link = schedule.link
    return [
        ("Deprecation", f"@{int(deprecated.timestamp())}"),
        ("Sunset", format_datetime(sunset, usegmt=True)),
        ("Link", f'<{link}>; rel="deprecation"; type="text/html", <{link}>; rel="sunset"; type="text/html"'),
    ]


def _midnight_utc(day: _dt.date) -> _dt.datetime:
    return _dt.datetime(day.year, day.month, day.day, tzinfo=_dt.timezone.utc)
