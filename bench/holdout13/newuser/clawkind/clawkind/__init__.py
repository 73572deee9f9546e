"""Records and per-type rules over what OpenClaw leaves in its state directory."""
