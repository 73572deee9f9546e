"""Normalised records of OpenClaw's stored session entries, old and new layouts."""
