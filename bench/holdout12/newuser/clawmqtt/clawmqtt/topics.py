"""The topic layout, shared by the bridge and by anyone writing a flow against it."""

from __future__ import annotations

from typing import Literal

PREFIX = "openclaw"

# Retained: one topic per session, the payload is the session row's status.
SESSION_STATUS = PREFIX + "/sessions/{agent}/{key}/status"
# Retained JSON object, one field per status, the number of sessions in it.
SUMMARY = PREFIX + "/summary"
# Not retained: one message per run that ended badly.
ALERT = PREFIX + "/alerts/{kind}"
# The bridge listens here; the payload is a session key.
STOP_COMMAND = PREFIX + "/cmd/stop"
# Last will and the bridge's own presence.
BRIDGE_STATE = PREFIX + "/bridge/state"

# The fields of the summary message, in the order the wall panel draws them.
SUMMARY_FIELDS = ("running", "queued", "done", "failed", "timeout", "killed")

# The statuses a run is left in when it has stopped.
ENDED = frozenset({"done", "failed", "timeout", "killed"})

# Which alert topic a run that ended in one of these statuses goes to.
ALERT_KIND = {
    "failed": "error",
    "timeout": "stalled",
    "killed": "stopped",
}

# How a publish went; "timeout" when the broker did not acknowledge in time.
PublishOutcome = Literal["sent", "queued", "timeout", "refused"]


def session_topic(agent: str, key: str) -> str:
    """The retained status topic of one session (``:`` in keys is kept, ``/`` is not)."""
    return SESSION_STATUS.format(agent=agent, key=key.replace("/", "_"))


def alert_topic(status: str) -> str | None:
    """The alert topic for a run that ended in ``status``, or None for a normal end."""
    kind = ALERT_KIND.get(status)
    return ALERT.format(kind=kind) if kind else None
