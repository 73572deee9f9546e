"""Constants of the OpenClaw integration."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

DOMAIN: Final = "openclaw"
DEFAULT_PORT: Final = 18789
SCAN_INTERVAL: Final = timedelta(seconds=30)

CONF_TOKEN: Final = "token"
CONF_AGENT: Final = "agent"

# The states a session sensor can take. They are the ENUM sensor's options, so
# they are what the history graph and users' automations (``to: ...``) see.
SESSION_STATES: Final = ["running", "queued", "done", "failed", "timeout", "killed", "unknown"]

# A session in one of these is a problem (the binary sensor turns on).
PROBLEM_STATES: Final = ("failed", "timeout")

ICONS: Final = {
    "running": "mdi:play-circle",
    "queued": "mdi:timer-sand",
    "done": "mdi:check-circle",
    "failed": "mdi:alert-circle",
    "timeout": "mdi:timer-alert",
    "killed": "mdi:stop-circle",
}

# Background exec sessions of the agent (the ``process`` tool, action ``list``).
PROCESS_BAD: Final = ("failed", "killed")

ATTR_ABORTED: Final = "aborted_last_run"
ATTR_RUNTIME: Final = "runtime_s"
