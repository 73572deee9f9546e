"""The curses screen: one line per session, coloured by the status of its last run.

Keys: f cycles the filter, a archives the selected session, q quits.
"""

from __future__ import annotations

import curses
import time
from itertools import cycle

from .source import Snapshot, archive, snapshot

REFRESH_S = 5

# curses colour pair of each session status (pair numbers set up in _init_colours).
PAIR = {"running": 1, "queued": 1, "done": 2, "failed": 3, "timeout": 4, "killed": 5}
# Worst first, so what needs a look is at the top.
ORDER = {"failed": 0, "timeout": 1, "killed": 2, "running": 3, "queued": 4, "done": 5}
FILTERS = ("all", "failed", "timeout", "killed")

# Task states that mean the task will not run again.
TASK_OVER = {"succeeded", "failed", "timed_out", "cancelled", "lost"}


def _init_colours() -> None:
    curses.start_color()
    curses.use_default_colors()
    for n, fg in ((1, curses.COLOR_CYAN), (2, curses.COLOR_GREEN), (3, curses.COLOR_RED), (4, curses.COLOR_YELLOW), (5, curses.COLOR_MAGENTA)):
        curses.init_pair(n, fg, -1)


def visible(snap: Snapshot, flt: str) -> list[dict]:
    rows = snap.sessions if flt == "all" else [s for s in snap.sessions if s.get("status") == flt]
    return sorted(rows, key=lambda s: (ORDER.get(s.get("status") or "", 9), -(s.get("updatedAt") or 0)))


def draw(scr: curses.window, snap: Snapshot, rows: list[dict], flt: str, sel: int) -> None:
    scr.erase()
    h, w = scr.getmaxyx()
    live_tasks = sum(1 for t in snap.tasks if t.get("status") not in TASK_OVER)
    bad_tasks = sum(1 for t in snap.tasks if t.get("status") == "failed")
    head = f" octop  filter:{flt}  sessions:{len(rows)}  tasks:{live_tasks} live, {bad_tasks} failed"
    scr.addnstr(0, 0, head.ljust(w), w, curses.A_REVERSE)
    if snap.error:
        scr.addnstr(1, 0, f" {snap.error}", w, curses.color_pair(3))
    for i, s in enumerate(rows[: h - 3]):
        status = s.get("status") or "-"
        attr = curses.color_pair(PAIR.get(status, 0)) | (curses.A_BOLD if i == sel else 0)
        line = f" {status:<8} {s.get('agentId', ''):<10} {s['key']}"
        scr.addnstr(i + 2, 0, line, w, attr)
    scr.refresh()


def main(scr: curses.window) -> None:
    _init_colours()
    curses.curs_set(0)
    scr.timeout(250)
    filters = cycle(FILTERS)
    flt = next(filters)
    snap, last, sel = snapshot(), time.monotonic(), 0
    while True:
        if time.monotonic() - last > REFRESH_S:
            snap, last = snapshot(), time.monotonic()
        rows = visible(snap, flt)
        sel = min(sel, max(len(rows) - 1, 0))
        draw(scr, snap, rows, flt, sel)
        key = scr.getch()
        if key == ord("q"):
            return
        if key == ord("f"):
            flt, sel = next(filters), 0
        elif key in (curses.KEY_DOWN, ord("j")):
            sel += 1
        elif key in (curses.KEY_UP, ord("k")):
            sel = max(sel - 1, 0)
        elif key == ord("a") and rows and rows[sel].get("status") in ("done", "failed", "timeout", "killed"):
            if archive(rows[sel]["key"]):
                last = 0.0


def run() -> None:
    curses.wrapper(main)


if __name__ == "__main__":
    run()
