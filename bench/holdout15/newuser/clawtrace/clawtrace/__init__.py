"""Traces and error reports of a team's OpenClaw sessions, and a daily digest."""
