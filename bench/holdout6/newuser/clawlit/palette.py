"""Colours and default filters of the dashboard."""

# by the status of a session row
STATUS_COLOURS = {
    "queued": "#868e96",
    "running": "#2b8a3e",
    "done": "#1c7ed6",
    "failed": "#e03131",
    "timeout": "#f08c00",
    "killed": "#5f3dc4",
}

# by the status of a background task (`openclaw tasks list`)
TASK_COLOURS = {
    "queued": "#868e96",
    "running": "#2b8a3e",
    "succeeded": "#1c7ed6",
    "failed": "#e03131",
    "timed_out": "#f08c00",
    "cancelled": "#495057",
    "lost": "#212529",
}

# what the status filter starts with: the sessions someone should look at
ATTENTION = ["failed", "timeout"]

UNKNOWN = "#adb5bd"
