"""Prometheus gauges of OpenClaw sessions and exec processes, scraped every minute."""
