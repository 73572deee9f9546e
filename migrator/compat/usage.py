"""Counters of old-vocabulary traffic, so operators can see who still needs the
window before they close it.

Clients are counted by their id and version as they announce them. The version
is free text and never decides anything; it only helps find the caller.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Usage:
    """Old-vocabulary traffic of one client id and version."""

    client_id: str
    client_version: str
    connections: int = 0  # connections (or HTTP requests) served old names
    frames: int = 0  # session-status payloads served in the old vocabulary
    translated: int = 0  # values rewritten to old names on the way out
    refused: int = 0  # inputs refused for an old name after sunset

    def line(self) -> str:
        """One log line."""
        return (
            f"old-vocabulary client={self.client_id} version={self.client_version} "
            f"connections={self.connections} frames={self.frames} "
            f"translated={self.translated} refused={self.refused}"
        )


class UsageCounters:
    """Thread-safe counters keyed by ``(client id, client version)``.

    One instance is shared by every connection of a proxy or middleware; the
    WSGI/ASGI worker threads of a Python gateway may update it concurrently.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[tuple[str, str], dict[str, int]] = {}

    def record(
        self,
        client_id: str | None,
        client_version: str | None,
        *,
        connections: int = 0,
        frames: int = 0,
        translated: int = 0,
        refused: int = 0,
    ) -> None:
        """Add to the counters of one client."""
        key = (client_id or "unknown", client_version or "unknown")
        with self._lock:
            row = self._rows.setdefault(key, {"connections": 0, "frames": 0, "translated": 0, "refused": 0})
            row["connections"] += connections
            row["frames"] += frames
            row["translated"] += translated
            row["refused"] += refused

    def snapshot(self) -> list[Usage]:
        """Every client's counters, busiest first."""
        with self._lock:
            rows = [Usage(cid, ver, **counts) for (cid, ver), counts in self._rows.items()]
        return sorted(rows, key=lambda u: (-u.frames, -u.connections, u.client_id, u.client_version))

    def get(self, client_id: str, client_version: str) -> Usage:
        """The counters of one client (zeros if it was never seen)."""
        with self._lock:
            counts = dict(self._rows.get((client_id, client_version), {}))
        return Usage(client_id, client_version, **counts)

    def report(self) -> str:
        """All counters as log lines; a single line when there was no old traffic."""
        rows = self.snapshot()
        if not rows:
            return "old-vocabulary traffic: none"
        return "\n".join(u.line() for u in rows)
