"""Colours and glyphs of the monitor, in one place so themes can override them."""

from __future__ import annotations

# Session statuses (`sessions_list` rows) -> Rich style.
STYLE = {
    "running": "bold cyan",
    "queued": "cyan",
    "done": "green",
    "failed": "bold red",
    "killed": "magenta",
    "timeout": "yellow",
}

# One-character marks of the same statuses, for the narrow layout.
GLYPH = {"done": "\u2714", "failed": "\u2718", "killed": "\u25a0", "timeout": "\u29d7"}

# Background exec sessions of the `process` tool have their own statuses.
PROCESS_STYLE = {
    "running": "cyan",
    "completed": "green",
    "failed": "red",
    "killed": "dim magenta",
}

# What the footer says when a refresh went wrong, by the feed's error kind.
FEED_TROUBLE = {
    "timeout": "gateway slow to answer",
    "refused": "gateway not running",
    "auth": "token refused",
    "bad-json": "unreadable answer",
}
