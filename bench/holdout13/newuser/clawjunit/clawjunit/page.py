"""A one-file HTML page of the same run, published as a CI artifact (Jinja2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, select_autoescape

# CSS class of a session's status cell.
CSS = {"done": "ok", "failed": "bad", "timeout": "slow", "killed": "stopped", "running": "live"}

# Row order on the page: what needs a look comes first.
ORDER = ["failed", "timeout", "killed", "running", "done"]

# The badge of the whole CI job.
BADGE = {"passed": "#2da44e", "failed": "#cf222e"}

TEMPLATE = """<!doctype html>
<title>{{ name }}</title>
<p style="background: {{ badge }}">{{ verdict }}</p>
<table>
{% for row in rows %}<tr><td>{{ row.key }}</td><td class="{{ row.status | css }}">{{ row.status }}</td></tr>
{% endfor %}</table>
"""

env = Environment(autoescape=select_autoescape(default=True))
env.filters["css"] = lambda status: CSS.get(status, "unknown")


def _rank(row: dict[str, Any]) -> int:
    status = row.get("status")
    return ORDER.index(status) if status in ORDER else len(ORDER)


def render(name: str, verdict: str, rows: Sequence[dict[str, Any]]) -> str:
    ordered = sorted(rows, key=_rank)
    return env.from_string(TEMPLATE).render(name=name, verdict=verdict, badge=BADGE.get(verdict, "#888"), rows=ordered)
