"""Prefect flows that look after an OpenClaw gateway every night."""
