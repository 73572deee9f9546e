"""OpenTelemetry traces and metrics of OpenClaw sessions, from the gateway's events."""
