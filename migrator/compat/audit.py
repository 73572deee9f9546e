"""The audit: session statuses that reached a client in the other vocabulary.

With ``migrator gateway --audit`` every frame sent to a client is searched for
session rows and entries (the manifest's ``surfaces.gateway-rows`` shape), on a
surface or not. A row whose status is a name of the vocabulary the client did
not ask for is a leak: a surface the manifest does not name, or one it names
wrongly. Leaks are counted per method, event and tool, and the first few are
logged with their pointer, so the operator sees one the first time it happens.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from migrator.compat.negotiation import Vocab
    from migrator.compat.translation import Translator

log = logging.getLogger("migrator.compat")

# Leaks logged one by one; past this only the counts grow.
LOGGED = 5


class Audit:
    """Thread-safe leak counters, shared by every connection of a proxy."""

    def __init__(self, logged: int = LOGGED) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], int] = {}
        self._frames: dict[tuple[str, str], int] = {}
        self._logged = logged
        self.samples: list[tuple[str, str, str, str, str]] = []  # kind, name, pointer, value, client vocabulary

    def check(self, kind: str, name: str, payload: Any, vocabulary: Vocab, translator: Translator) -> int:
        """Count the leaks of one frame's payload as it goes to a client served
        ``vocabulary``; return how many there were."""
        leaks = translator.leaks(payload, vocabulary)
        key = (kind, name)
        with self._lock:
            self._frames[key] = self._frames.get(key, 0) + 1
            if not leaks:
                return 0
            self._counts[key] = self._counts.get(key, 0) + len(leaks)
            fresh = []
            for pointer, value in leaks:
                if len(self.samples) < self._logged:
                    sample = (kind, name, pointer, value, vocabulary)
                    self.samples.append(sample)
                    fresh.append(sample)
        for kind_, name_, pointer, value, vocab in fresh:
            log.warning(
                "audit: %s %s passed session status %r at %s to a client of %s names",
                kind_, name_, value, pointer, vocab,
            )
        return len(leaks)

    def counts(self) -> dict[tuple[str, str], int]:
        """Leaks per ``(kind, name)``; only names with at least one."""
        with self._lock:
            return dict(self._counts)

    @property
    def total(self) -> int:
        """Every leak counted so far."""
        with self._lock:
            return sum(self._counts.values())

    def report(self) -> str:
        """The counts as log lines: one per method, event or tool with leaks,
        after a line of totals."""
        with self._lock:
            frames = sum(self._frames.values())
            rows = sorted(self._counts.items(), key=lambda kv: (-kv[1], kv[0]))
        lines = [f"audit: {sum(c for _, c in rows)} session statuses in the other vocabulary, in {frames} frames audited"]
        lines += [f"audit: {kind} {name}: {count}" for (kind, name), count in rows]
        return "\n".join(lines)
