"""`python -m clawgauge`: serve /metrics and refresh the gauges every minute."""

from __future__ import annotations

import os
import subprocess
import time

from prometheus_client import Gauge, start_http_server

from .metrics import refresh

SCRAPE_OK = Gauge("clawgauge_last_refresh_ok", "1 if the last refresh worked")


def once() -> str:
    """One refresh; returns how our own refresh went."""
    try:
        refresh()
    except subprocess.TimeoutExpired:
        return "timeout"
    except (subprocess.CalledProcessError, ValueError, OSError):
        return "failed"
    return "done"


def main() -> None:
    start_http_server(int(os.environ.get("CLAWGAUGE_PORT", "9464")))
    misses = 0
    while True:
        state = once()
        SCRAPE_OK.set(1 if state == "done" else 0)
        misses = misses + 1 if state in ("failed", "timeout") else 0
        time.sleep(60 * min(1 + misses, 5))


if __name__ == "__main__":
    main()
