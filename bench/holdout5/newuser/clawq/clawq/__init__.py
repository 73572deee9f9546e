"""clawq: rq jobs that watch an OpenClaw gateway and follow up on runs that went wrong."""

__version__ = "0.4.1"
