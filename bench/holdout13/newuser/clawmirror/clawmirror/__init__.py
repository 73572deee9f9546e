"""A SQLAlchemy mirror of a team's OpenClaw sessions, for reports and audits."""

__version__ = "0.4.1"
