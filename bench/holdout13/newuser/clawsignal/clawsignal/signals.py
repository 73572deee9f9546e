"""The blinker signals other modules connect to; the poller sends them."""

from __future__ import annotations

from blinker import Namespace

ns = Namespace()

# sender: the session key; kwargs: status (the row's new status), previous, row.
session_settled = ns.signal("session-settled")

# sender: the run id; kwargs: status (the run's outcome.status), reason.
subagent_ended = ns.signal("subagent-ended")

# Statuses after which a session is settled until its next turn.
SETTLED = frozenset({"done", "failed", "killed", "timeout"})
