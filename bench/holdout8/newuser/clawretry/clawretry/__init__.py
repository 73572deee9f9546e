"""clawretry: a SQLite-backed scheduler that retries OpenClaw sessions whose run went wrong."""
