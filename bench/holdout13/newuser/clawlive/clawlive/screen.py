"""The Live screen: a sessions table, a panel of failing processes, a footer."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from rich.console import Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from . import feed
from .palette import FEED_TROUBLE, GLYPH, PROCESS_STYLE, STYLE


def status_cell(row: dict[str, Any], narrow: bool) -> Text:
    status = row.get("status") or "-"
    label = GLYPH.get(status, status) if narrow else status
    return Text(label, style=STYLE.get(status, "dim"))


def sessions_table(rows: list[dict[str, Any]], narrow: bool = False) -> Table:
    table = Table(expand=True, show_edge=False)
    table.add_column("session")
    table.add_column("status")
    table.add_column("model")
    table.add_column("runtime", justify="right")
    for row in rows:
        key = Text(row.get("key", "?"))
        if row.get("status") == "killed" and row.get("abortedLastRun"):
            key.stylize("strike")
        runtime = row.get("runtimeMs")
        table.add_row(key, status_cell(row, narrow), row.get("model") or "", "" if runtime is None else "%.1fs" % (runtime / 1000))
    return table


def process_panel(rows: list[dict[str, Any]]) -> Panel:
    lines = Text()
    for row in rows:
        if row.get("status") != "running":
            continue
        for proc in feed.processes(row["key"]):
            if proc.get("status") in ("failed", "killed"):
                lines.append("%s  %s\n" % (row["key"], proc.get("name") or proc.get("command", "?")), style=PROCESS_STYLE[proc["status"]])
    return Panel(lines or Text("no broken exec process", style="dim"), title="exec")


def footer(rows: list[dict[str, Any]], trouble: str | None) -> Text:
    counts = Counter(row.get("status") for row in rows)
    bad = counts["failed"] + counts["timeout"]
    text = Text("%d sessions, %d running, %d ended badly" % (len(rows), counts["running"], bad))
    if trouble:
        text.append("  (" + trouble + ")", style="yellow")
    return text


def run(interval: float = 3.0, narrow: bool = False) -> None:
    rows: list[dict[str, Any]] = []
    with Live(refresh_per_second=4, screen=True) as live:
        while True:
            trouble = None
            try:
                rows = feed.sessions()
                procs = process_panel(rows)
            except feed.FeedError as err:
                trouble = FEED_TROUBLE.get(err.kind, err.kind)
                procs = Panel(Text("exec view paused", style="dim"), title="exec")
                if err.kind == "timeout":
                    interval = min(interval * 2, 30.0)
            live.update(Group(sessions_table(rows, narrow), procs, footer(rows, trouble)))
            time.sleep(interval)
