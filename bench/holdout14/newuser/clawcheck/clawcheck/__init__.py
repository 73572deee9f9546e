"""A CI gate over an OpenClaw gateway's sessions, with pydantic v2 models."""
