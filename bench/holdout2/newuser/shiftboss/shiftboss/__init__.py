"""shiftboss: keep a small crew of OpenClaw worker sessions busy."""
