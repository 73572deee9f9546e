"""ocstate: look at OpenClaw's session state from a terminal or a cron job."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import click

from . import sources
from .vocab import ENDED_BADLY, RUN_OUTCOMES, SESSION_STATUSES, TASK_TERMINAL

COLOURS = {"running": "cyan", "done": "green", "failed": "red", "killed": "magenta", "timeout": "yellow"}


def _rows(offline: bool, statuses: tuple[str, ...]) -> list[sources.Row]:
    if not offline:
        rows = sources.from_cli()
        return [r for r in rows if not statuses or r.get("status") in statuses]
    root = sources.state_dir()
    rows = list(sources.from_sqlite(root, statuses))
    if not rows:
        rows = [r for r in sources.from_json_stores(root) if not statuses or r.get("status") in statuses]
    return rows


@click.group()
def main() -> None:
    """Inspect OpenClaw sessions, runs and tasks."""


@main.command("ls")
@click.option("--status", "statuses", multiple=True, type=click.Choice(SESSION_STATUSES))
@click.option("--offline", is_flag=True, help="Read the state directory instead of asking the CLI.")
@click.option("--json", "as_json", is_flag=True)
def ls(statuses: tuple[str, ...], offline: bool, as_json: bool) -> None:
    rows = _rows(offline, statuses)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        status = row.get("status") or "-"
        click.echo(f"{row['key']:<48} " + click.style(f"{status:<8}", fg=COLOURS.get(status)))


@main.command()
@click.option("--offline", is_flag=True)
def health(offline: bool) -> None:
    """Exit 1 when a session ended badly, or a subagent run timed out, in the last hour."""
    rows = _rows(offline, ENDED_BADLY)
    counts = Counter(r.get("status") for r in rows)
    root = sources.state_dir()
    since = int((time.time() - 3600) * 1000)
    timed_out = sources.windows_ended(root, "timeout", since)
    slow_runs = [r for r in sources.subagent_runs(root) if (r.get("outcome") or {}).get("status") == "timeout"]
    for status in ENDED_BADLY:
        click.echo(f"{status:>8}: {counts.get(status, 0)}")
    click.echo(f"windows that hit their time limit in the last hour: {len(timed_out)}")
    click.echo(f"subagent runs with outcome timeout: {len(slow_runs)}")
    if rows or slow_runs:
        raise SystemExit(1)


@main.command()
@click.option("--outcome", type=click.Choice(RUN_OUTCOMES), default="error")
def runs(outcome: str) -> None:
    for run in sources.subagent_runs(sources.state_dir()):
        if (run.get("outcome") or {}).get("status") == outcome:
            click.echo(f"{run['runId']}  {run.get('childSessionKey', '?')}  {run.get('endedReason', '')}")


@main.command()
def tasks() -> None:
    for task in sources.tasks():
        if task.get("status") not in TASK_TERMINAL:
            click.echo(f"{task.get('taskId')}  {task.get('status')}  {task.get('runtime')}")
        elif task.get("status") == "failed":
            click.echo(click.style(f"{task.get('taskId')}  failed  {task.get('error', '')}", fg="red"))


@main.command("fix-stale")
@click.option("--hours", type=float, default=6.0, show_default=True)
def fix_stale(hours: float) -> None:
    """End sessions.json entries still `running` long after the gateway stopped (stop it first)."""
    now = int(time.time() * 1000)
    for key in sources.mark_stale(sources.state_dir(), int(hours * 3_600_000), now):
        click.echo(f"ended {key}")


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--offline", is_flag=True)
def snapshot(out: Path, offline: bool) -> None:
    """Write a small JSON summary a dashboard can poll."""
    rows = _rows(offline, ())
    summary = {s: 0 for s in SESSION_STATUSES}
    for row in rows:
        if row.get("status") in summary:
            summary[row["status"]] += 1
    out.write_text(json.dumps({"generatedAt": int(time.time()), "byStatus": summary}), encoding="utf-8")


if __name__ == "__main__":
    main()
