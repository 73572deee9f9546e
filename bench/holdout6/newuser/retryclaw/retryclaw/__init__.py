"""retryclaw: an asyncio client of the OpenClaw gateway's ``POST /tools/invoke``, with retries."""

from .backoff import GatewayCallError, Policy
from .client import ToolsClient

__all__ = ["GatewayCallError", "Policy", "ToolsClient"]
