"""Wait on OpenClaw sessions and sub-agent runs, with tenacity doing the waiting."""
