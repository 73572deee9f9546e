"""anywatch: a watchdog for an OpenClaw host, on anyio (runs under asyncio or trio)."""
