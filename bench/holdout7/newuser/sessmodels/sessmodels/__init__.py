"""Validated models of OpenClaw session rows, fetched over ``POST /tools/invoke``."""

from sessmodels.client import CallError, ToolsClient
from sessmodels.models import ChildRun, SessionRow, SessionsPage, WaitResult

__all__ = ["CallError", "ChildRun", "SessionRow", "SessionsPage", "ToolsClient", "WaitResult"]
