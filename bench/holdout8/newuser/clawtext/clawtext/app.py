"""The app: refresh on a timer, filter, abort the selected session."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Footer, Header, Label, Select

from . import data
from .widgets import SessionTable, StatusFilter

TCSS = """
#bar { height: 3; }
#load-state.failed { color: red; }
"""

# A session in one of these asks for a look: shown in the header count.
NEEDS_LOOK = ("failed", "timeout")


class ClawText(App):
    CSS = TCSS
    BINDINGS = [
        Binding("r", "refresh", "Refresh"),
        Binding("a", "abort", "Abort selected"),
        Binding("f", "failed_only", "Failed only"),
        Binding("q", "quit", "Quit"),
    ]

    status_filter: reactive[str | None] = reactive(None)
    load_state: reactive[str] = reactive("idle")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self.tasks: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="bar"):
            yield StatusFilter()
            yield Label("", id="load-state")
        yield SessionTable(id="sessions")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(10, self.action_refresh)
        self.action_refresh()

    def action_refresh(self) -> None:
        self.load_state = "loading"
        self.reload()

    @work(thread=True, exclusive=True)
    def reload(self) -> None:
        result = data.load()
        self.call_from_thread(self.apply, result)

    def apply(self, result: data.LoadResult) -> None:
        self.rows, self.tasks = result.sessions, result.tasks
        self.load_state = "done" if result.state == "ok" else result.state
        label = self.query_one("#load-state", Label)
        label.set_class(result.state == "failed", "failed")
        label.update(result.message)
        self.redraw()

    def redraw(self) -> None:
        table = self.query_one(SessionTable)
        shown = table.show(self.rows, self.status_filter)
        look = sum(1 for r in self.rows if r.get("status") in NEEDS_LOOK)
        self.sub_title = f"{shown} shown, {look} need a look"

    def on_select_changed(self, event: Select.Changed) -> None:
        self.status_filter = None if event.value is Select.BLANK else str(event.value)
        self.redraw()

    def action_failed_only(self) -> None:
        self.query_one(StatusFilter).value = "failed"

    def action_abort(self) -> None:
        table = self.query_one(SessionTable)
        if table.cursor_row < 0 or not self.rows:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        row = next((r for r in self.rows if r.get("key") == key), None)
        if row is None or row.get("status") != "running":
            self.notify("only running sessions can be aborted", severity="warning")
            return
        if data.abort(str(key)):
            # Shown at once; the next refresh brings the gateway's own row.
            row["status"] = "killed"
            row["abortedLastRun"] = True
            self.redraw()
        dead = data.dead_tasks_for(str(key), self.tasks)
        if dead:
            self.notify(f"{len(dead)} background task(s) of this session ended badly")

    def watch_load_state(self, state: str) -> None:
        if state == "done":
            self.query_one("#load-state", Label).update("")


def main() -> None:
    ClawText().run()
