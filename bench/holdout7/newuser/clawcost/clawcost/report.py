"""``python -m clawcost.report [--csv out.csv]``: cost by agent and model, and the share wasted."""

from __future__ import annotations

import argparse
import sys

import polars as pl

from clawcost import load


def joined(sessions: pl.DataFrame, runs: pl.DataFrame, tasks: pl.DataFrame) -> pl.DataFrame:
    """Each session with the subagent run and the background task that made it, if any."""
    return (
        sessions.join(runs, left_on="key", right_on="child_key", how="left")
        .join(tasks, left_on="key", right_on="child_key", how="left")
        .with_columns(
            wasted=pl.col("status").is_in(load.WASTED),
            run_unfinished=pl.col("outcome").is_in(load.RUN_UNFINISHED).fill_null(False),
            task_bad=pl.col("task_status").is_in(load.TASK_BAD).fill_null(False),
            answered=pl.when(pl.col("status") == "done").then(pl.lit(True)).otherwise(pl.lit(False)),
        )
    )


def by_agent(frame: pl.DataFrame) -> pl.DataFrame:
    return (
        frame.group_by("agent", "model")
        .agg(
            sessions=pl.len(),
            cost_usd=pl.col("cost_usd").sum(),
            wasted_usd=pl.col("cost_usd").filter(pl.col("wasted")).sum(),
            stopped_usd=pl.col("cost_usd").filter(pl.col("status") == "killed").sum(),
            timed_out_runs=(pl.col("outcome") == "timeout").sum(),
            failed_tasks=(pl.col("task_status") == "failed").sum(),
        )
        .with_columns(wasted_share=(pl.col("wasted_usd") / pl.col("cost_usd")).fill_nan(0.0))
        .sort("cost_usd", descending=True)
    )


def worst_sessions(frame: pl.DataFrame, n: int = 10) -> pl.DataFrame:
    return (
        frame.filter(pl.col("status").is_in(["failed", "timeout"]))
        .sort("cost_usd", descending=True)
        .head(n)
        .select("agent", "key", "status", "cost_usd", "outcome", "ended_reason")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clawcost")
    parser.add_argument("--csv", help="also write the per-agent table here")
    parser.add_argument("--no-tasks", action="store_true", help="skip `openclaw tasks list`")
    args = parser.parse_args(argv)
    tasks = (
        pl.DataFrame(schema={"task_id": pl.Utf8, "child_key": pl.Utf8, "task_status": pl.Utf8})
        if args.no_tasks
        else load.tasks()
    )
    frame = joined(load.sessions(), load.runs(), tasks)
    table = by_agent(frame)
    with pl.Config(tbl_rows=50, float_precision=2):
        print(table)
        print(worst_sessions(frame))
    if args.csv:
        table.write_csv(args.csv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
