"""The rules used when no ``rules.toml`` is given; the file has the same shape::

    [[rule]]
    name = "stuck-timeouts"
    source = "sessions"        # sessions | automations | subagents | tasks
    field = "status"           # dotted path into the row
    in = ["timeout"]           # or not_in = [...]
    older_than_minutes = 30
    action = "archive"         # notify | archive | ignore
"""

from __future__ import annotations

from typing import Any

DEFAULT_RULES: list[dict[str, Any]] = [
    {"name": "ended-with-error", "source": "sessions", "field": "status", "in": ["failed"], "action": "notify"},
    {
        "name": "stuck-timeouts",
        "source": "sessions",
        "field": "status",
        "in": ["timeout"],
        "older_than_minutes": 30,
        "action": "archive",
    },
    {"name": "stopped-by-user", "source": "sessions", "field": "status", "in": ["killed"], "action": "ignore"},
    {"name": "subagent-timeouts", "source": "subagents", "field": "outcome.status", "in": ["timeout", "error"], "action": "notify"},
    {"name": "automation-errors", "source": "automations", "field": "status", "in": ["error"], "action": "notify"},
    {"name": "task-failures", "source": "tasks", "field": "status", "in": ["failed", "timed_out", "lost"], "action": "notify"},
]

# how loud a notification is, by the matched value (any source)
SEVERITY = {
    "failed": "high",
    "error": "high",
    "lost": "high",
    "timeout": "medium",
    "timed_out": "medium",
    "killed": "low",
}
