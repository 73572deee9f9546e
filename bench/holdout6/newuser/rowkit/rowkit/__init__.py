"""rowkit: typed records of OpenClaw state, one vocabulary per kind of record."""

from .session import Session, headline
from .vocab import PROCESS, SESSION, TASK, HasStatus, Vocabulary

__all__ = ["HasStatus", "PROCESS", "SESSION", "Session", "TASK", "Vocabulary", "headline"]
