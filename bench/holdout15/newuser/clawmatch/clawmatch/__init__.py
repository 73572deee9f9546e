"""Triage of OpenClaw sessions straight from each agent's SQLite store."""
