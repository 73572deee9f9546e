"""Status words fleetwatch cares about.

Session statuses are the ones OpenClaw puts on a session row (`status`).
"""

# What a session row can say about its last run.
RUNNING = "running"
FINISHED_OK = "done"

# A session whose last run ended like this needs a new worker.
DEAD_STATES = {"failed", "timeout", "killed"}

# Everything that means the last run is over.
TERMINAL = ("done", "failed", "timeout", "killed")

# sessions_send answers with its own status: "timeout" only means our wait ran out.
SEND_RETRYABLE = {"timeout", "error"}
