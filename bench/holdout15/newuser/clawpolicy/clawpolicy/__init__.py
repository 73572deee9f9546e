"""A small rules engine: what to do about each OpenClaw session, from a YAML policy."""
