"""An MCP server that lets an assistant look after a team's OpenClaw sessions."""

__version__ = "0.1.0"
