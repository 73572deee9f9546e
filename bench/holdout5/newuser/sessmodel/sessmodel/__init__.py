"""A SQLAlchemy mirror of OpenClaw session entries, refreshed from the state directory."""
