"""Words used across ocstate, kept in one place."""

# A session row's `status` (how its last run ended).
SESSION_STATUSES = ("running", "done", "failed", "killed", "timeout")
ENDED_BADLY = ("failed", "killed", "timeout")

# `openclaw tasks list --json`: background task records, another vocabulary.
TASK_TERMINAL = frozenset({"succeeded", "failed", "timed_out", "cancelled", "lost"})

# subagents/runs.json: a run's `outcome.status`.
RUN_OUTCOMES = ("ok", "error", "timeout", "unknown")
