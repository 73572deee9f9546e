"""What the bot says: emoji, button labels, messages."""

from __future__ import annotations

EMOJI = {
    "queued": "🕓",
    "running": "⏳",
    "done": "✅",
    "failed": "❌",
    "timeout": "⌛",
    "killed": "🛑",
}

# The /sessions keyboard: (label, value). The value goes into the button's
# callback data and is matched against each row's status when pressed.
FILTER_BUTTONS = [
    ("❌ Failed", "failed"),
    ("⌛ Timed out", "timeout"),
    ("🛑 Stopped", "killed"),
    ("✅ Finished", "done"),
]

TROUBLE = {
    "timeout": "The gateway did not answer in time.",
    "auth": "The gateway refused the bot's token.",
    "denied": "The gateway does not let the bot use that tool.",
    "http": "The gateway could not be reached.",
    "cli": "The openclaw command failed.",
}

TASK_WORDS = {"succeeded": "finished", "failed": "went wrong", "timed_out": "ran out of time", "lost": "was lost"}


def row_line(row: dict) -> str:
    status = row.get("status")
    mark = EMOJI.get(status or "", "·")
    label = row.get("label") or row["key"]
    return f"{mark} {label}"
