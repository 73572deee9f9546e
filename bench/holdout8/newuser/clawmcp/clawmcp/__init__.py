"""clawmcp: an MCP server that lets a desktop assistant look at OpenClaw sessions."""
