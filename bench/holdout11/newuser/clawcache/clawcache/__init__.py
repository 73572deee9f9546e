"""An in-memory cache of OpenClaw session rows fed by ``sessions.changed`` events."""

from clawcache.cache import ENDED, SessionCache, Status

__all__ = ["ENDED", "SessionCache", "Status"]
