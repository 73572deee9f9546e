"""clawflow: re-run OpenClaw sessions whose last run went wrong, over the gateway WebSocket."""

__version__ = "0.4.1"
