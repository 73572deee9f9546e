"""octop: a terminal view of OpenClaw sessions and background tasks (curses)."""
