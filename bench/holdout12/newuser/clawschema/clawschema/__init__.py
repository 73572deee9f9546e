"""marshmallow schemas for the team's archive of OpenClaw sessions.

Sessions are archived monthly to JSON files that the finance and quality
people load; the schemas here are the contract of those files.
"""

from .schemas import ArchiveSchema, ExportJobSchema, SessionSchema, SubagentRunSchema

__all__ = ["ArchiveSchema", "ExportJobSchema", "SessionSchema", "SubagentRunSchema"]
