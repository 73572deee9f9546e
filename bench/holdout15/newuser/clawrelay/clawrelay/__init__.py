"""Relay OpenClaw session changes from the gateway WebSocket into Kafka."""
