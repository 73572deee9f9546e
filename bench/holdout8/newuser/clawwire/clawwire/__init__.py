"""A small Protobuf-style bridge: OpenClaw session rows as numbered wire messages.

The gateway speaks JSON; our internal services speak fixed-width records with
enum numbers (see ``codes``). ``bridge`` answers the two RPCs they use.
"""

__version__ = "0.3.0"
