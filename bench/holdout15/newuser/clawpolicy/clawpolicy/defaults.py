"""Built-in policy, used where a team's policy.yaml says nothing."""

from __future__ import annotations

from typing import Literal, get_args

SessionStatus = Literal["running", "done", "failed", "killed", "timeout"]
KNOWN_STATUSES = frozenset(get_args(SessionStatus))

# What a rule's action itself reports after it ran.
ActionResult = Literal["done", "failed", "skipped"]
ACTION_RESULTS = set(get_args(ActionResult))

# One rule per session status. A team's policy.yaml overrides these by the same
# names (`rules: {failed: {action: nudge}}`), and the names are printed in the
# engine's report.
DEFAULT_RULES: dict[str, dict] = {
    "failed": {"action": "nudge", "max_attempts": 2, "after_minutes": 5},
    "timeout": {"action": "nudge", "max_attempts": 1, "after_minutes": 15},
    "killed": {"action": "ignore"},
}

DEFAULT_POLICY = {
    "rules": DEFAULT_RULES,
    # statuses a rule may name in `when.status`
    "match_statuses": ["done", "failed", "killed", "timeout"],
    "processes": {
        # exec processes of the `process` tool: what to do with a dead one
        "failed": "report",
        "killed": "ignore",
    },
    "cron": {
        # cron.retry.retryOn error classes the engine re-queues itself
        "retry_on": ["timeout", "network"],
    },
    "subagents": {
        # sub-agent run outcomes (subagents/runs.json) worth a line in the report
        "report": ["error", "timeout"],
    },
}
