"""DuckDB over an OpenClaw state directory: every agent's SQLite store as one view."""
