"""``clawtyper ls --status failed --status timeout``, ``clawtyper tasks``, ``clawtyper tidy``."""

from __future__ import annotations

import time
from enum import Enum
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from clawtyper import source

app = typer.Typer(help="Look at OpenClaw sessions and tasks from the shell.", no_args_is_help=True)
console = Console()


class Status(str, Enum):
    """A session's run status, as `openclaw sessions --json` reports it."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    killed = "killed"
    timeout = "timeout"


class TaskState(str, Enum):
    """A background task's state (`openclaw tasks list`)."""

    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    timed_out = "timed_out"
    cancelled = "cancelled"
    lost = "lost"


# Colours of the status column, by session status.
STATUS_STYLE = {
    "running": "cyan",
    "queued": "blue",
    "done": "green",
    "failed": "bold red",
    "timeout": "yellow",
    "killed": "magenta",
}

# Sessions that are over and may be archived by `tidy`.
FINISHED = (Status.done, Status.failed, Status.killed, Status.timeout)


def _age(row: source.Row) -> str:
    ended = row.get("endedAt") or row.get("updatedAt")
    if not ended:
        return "-"
    minutes = int((time.time() * 1000 - ended) / 60000)
    return f"{minutes}m" if minutes < 120 else f"{minutes // 60}h"


@app.command("ls")
def list_sessions(
    status: Annotated[Optional[list[Status]], typer.Option("--status", "-s", help="Only these statuses (repeatable).")] = None,
    agent: Annotated[Optional[str], typer.Option(help="One agent instead of all.")] = None,
) -> None:
    """A table of sessions, newest first."""
    wanted = {s.value for s in status} if status else None
    rows = [r for r in source.sessions(agent) if wanted is None or r.get("status") in wanted]
    table = Table("agent", "key", "status", "age", "model")
    for row in sorted(rows, key=lambda r: r.get("updatedAt") or 0, reverse=True):
        st = row.get("status") or ""
        table.add_row(row.get("agentId", "?"), row["key"], f"[{STATUS_STYLE.get(st, 'white')}]{st or '-'}", _age(row), row.get("model") or "")
    console.print(table)
    if not rows:
        raise typer.Exit(1)


@app.command()
def stuck(minutes: int = typer.Option(30, help="Running longer than this counts as stuck.")) -> None:
    """Sessions still running after MINUTES, and those whose last run was stopped by a time limit."""
    now = time.time() * 1000
    for row in source.sessions():
        st = row.get("status")
        if st == Status.running.value and now - (row.get("startedAt") or now) > minutes * 60000:
            console.print(f"[yellow]running[/] {row['key']} since {_age(row)}")
        elif st == "timeout":
            console.print(f"[yellow]time limit[/] {row['key']} ({row.get('runtimeMs', 0) // 1000}s)")


@app.command("tasks")
def list_tasks(
    state: Annotated[Optional[list[TaskState]], typer.Option("--state", help="Only these task states.")] = None,
) -> None:
    """Background tasks, optionally of some states only."""
    wanted = {s.value for s in state} if state else {TaskState.failed.value, TaskState.timed_out.value, TaskState.lost.value}
    for task in source.tasks():
        if task.get("status") in wanted:
            colour = "red" if task.get("status") == "failed" else "yellow"
            console.print(f"[{colour}]{task.get('status')}[/] {task.get('taskId')} {task.get('label') or ''}")


@app.command()
def tidy(
    only: Annotated[Status, typer.Option(help="Archive sessions that ended this way.")] = Status.done,
    dry_run: bool = typer.Option(False, "--dry-run"),
) -> None:
    """Archive finished sessions of one status (never a running one)."""
    if only not in FINISHED:
        console.print(f"[red]{only.value} sessions are not finished[/]")
        raise typer.Exit(2)
    outcomes: dict[str, int] = {"archived": 0, "failed": 0}
    for row in source.sessions():
        if row.get("status") != only.value:
            continue
        if dry_run:
            console.print(f"would archive {row['key']}")
            continue
        result = source.archive(row["key"])
        outcomes["archived" if result.get("ok") else "failed"] += 1
    console.print(f"archived {outcomes['archived']}, could not archive {outcomes['failed']}")


if __name__ == "__main__":
    app()
