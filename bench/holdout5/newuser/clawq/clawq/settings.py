"""Settings shared by the clawq worker, its jobs and the scheduler."""

import os

GATEWAY_URL = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
GATEWAY_TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")
REDIS_URL = os.environ.get("CLAWQ_REDIS_URL", "redis://localhost:6379/0")

# Session statuses after which the last run is over; such rows can be archived.
SESSION_ENDED = ("done", "failed", "timeout", "killed")

# Ended runs worth asking the agent about. A run the user stopped is not.
NEEDS_FOLLOWUP = frozenset({"failed", "timeout"})

# rq's own job statuses that mean one of our follow-up jobs will not move again.
JOB_FINAL = ("finished", "failed", "stopped", "canceled")

POLL_EVERY_S = 30
SEND_TIMEOUT_S = 60
ARCHIVE_AFTER_S = 24 * 3600
