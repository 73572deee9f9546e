"""How a worker session's last run ended, as OpenClaw reports it."""

BROKEN = frozenset({"failed", "timeout"})
ENDED = BROKEN | {"done", "killed"}
BUSY = frozenset({"running", "queued"})
KNOWN = ENDED | BUSY
