"""The table and the filter bar."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable, Select

# Row style per session status (the CSS classes are in app.TCSS).
STATUS_STYLE: dict[str, str] = {
    "running": "bold cyan",
    "queued": "cyan",
    "done": "green",
    "failed": "bold red",
    "killed": "magenta",
    "timeout": "yellow",
}

STATUS_FILTER_OPTIONS: list[tuple[str, str]] = [
    ("Running", "running"),
    ("Finished", "done"),
    ("Failed", "failed"),
    ("Timed out", "timeout"),
    ("Stopped by a user", "killed"),
]


class StatusFilter(Select[str]):
    def __init__(self) -> None:
        super().__init__(STATUS_FILTER_OPTIONS, prompt="any status", allow_blank=True, id="status-filter")


class SessionTable(DataTable):
    COLUMNS = ("key", "agent", "status", "runtime", "model")

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_columns(*self.COLUMNS)

    def show(self, rows: list[dict[str, Any]], status: str | None) -> int:
        self.clear()
        shown = 0
        for row in rows:
            st = row.get("status") or ""
            if status and st != status:
                continue
            style = STATUS_STYLE.get(st, "dim")
            runtime = f"{(row.get('runtimeMs') or 0) / 1000:.0f}s"
            self.add_row(
                row.get("key", "?"),
                row.get("agentId", ""),
                Text(st or "-", style=style),
                runtime,
                row.get("model") or "",
                key=row.get("key"),
            )
            shown += 1
        return shown
