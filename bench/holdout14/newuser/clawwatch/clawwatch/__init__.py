"""An asyncio watcher of an OpenClaw gateway, logging with structlog."""
