"""A progress bar on stderr for long runs, and only for a person watching.

None when stderr is not a terminal (piped, redirected) or when ``CI`` is set:
a log gains nothing from carriage returns.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Callable, Mapping, TextIO

# A run that ends sooner never draws a bar (no flicker for small trees).
DELAY = 0.5
# Redraw at most this often; the terminal is slower than the engines.
INTERVAL = 0.1
WIDTH = 30


def wanted(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether a bar may be drawn on ``stream``."""
    environ = os.environ if environ is None else environ
    if environ.get("CI"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Bar:
    """A ``(done, total)`` callback for :func:`migrator.pipeline.run`."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.started = clock()
        self.drawn_at: float | None = None

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if now - self.started < DELAY and done < total:
            return
        if self.drawn_at is None and done >= total:
            return  # finished before the bar was worth showing
        if self.drawn_at is not None and now - self.drawn_at < INTERVAL and done < total:
            return
        self.drawn_at = now
        filled = WIDTH * done // max(total, 1)
        self.stream.write(f"\r[{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total} files")
        self.stream.flush()

    def close(self) -> None:
        """Erase the bar so the summary starts on a clean line."""
        if self.drawn_at is not None:
            self.stream.write("\r" + " " * (WIDTH + 30) + "\r")
            self.stream.flush()


def bar_for(stream: TextIO | None = None) -> Bar | None:
    """A bar on ``stream`` (default stderr) when one is wanted, else None."""
    stream = stream or sys.stderr
    return Bar(stream) if wanted(stream) else None
