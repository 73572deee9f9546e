"""A live terminal view of OpenClaw sessions and their exec processes (Rich)."""
