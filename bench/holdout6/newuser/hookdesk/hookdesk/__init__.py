"""hookdesk: a receiver of OpenClaw automation webhooks, with the session each run used."""

__version__ = "0.3.0"
