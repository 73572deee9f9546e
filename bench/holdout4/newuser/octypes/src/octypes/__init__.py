"""Typed records for what the OpenClaw gateway sends back."""

from .records import ChildRun, SendResult, Session, SpawnResult
from .wire import SessionRow, SessionStatus

__all__ = ["ChildRun", "SendResult", "Session", "SessionRow", "SessionStatus", "SpawnResult"]
