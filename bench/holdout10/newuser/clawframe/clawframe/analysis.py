"""The numbers of the weekly review, one function per question."""

import numpy as np
import pandas as pd

STATUS_ORDER = ["running", "queued", "done", "failed", "timeout", "killed", "none"]
BAD = ["failed", "timeout"]

NICE = {
    "done": "finished",
    "failed": "error",
    "timeout": "time limit",
    "killed": "stopped",
    "running": "running",
}


def with_categories(df):
    df = df.copy()
    df["status"] = pd.Categorical(df["status"], categories=STATUS_ORDER, ordered=True)
    return df


def status_counts(df):
    return with_categories(df).groupby("status", observed=False).size()


def bad_runs(df):
    return df[df["status"].isin(BAD)]


def outcome_column(df):
    conditions = [
        df["status"] == "done",
        df["status"] == "killed",
        df["status"].isin(BAD),
    ]
    df = df.copy()
    df["outcome"] = np.select(conditions, ["ok", "stopped", "bad"], default="open")
    return df


def by_agent(df):
    table = df.pivot_table(index="agentId", columns="status", values="key", aggfunc="count", fill_value=0)
    table = table.reindex(columns=STATUS_ORDER, fill_value=0)
    table["total"] = table.sum(axis=1)
    table["bad_share"] = table[BAD].sum(axis=1) / table["total"].replace(0, np.nan)
    return table.sort_values("bad_share", ascending=False)


def user_stops(df):
    stopped = df[df.status == "killed"]
    return stopped.assign(by_user=stopped.abortedLastRun)


def slow_children(sessions, runs):
    """Subagent runs that hit their time limit, with how their child session ended."""
    merged = runs.merge(sessions[["key", "status", "minutes"]], left_on="childSessionKey", right_on="key", how="left")
    return merged[merged["outcome_status"] == "timeout"]


def failing_tasks(tasks):
    if tasks.empty:
        return tasks
    bad = tasks[tasks["status"].isin(["failed", "timed_out", "lost"])]
    return bad.groupby("kind").size().sort_values(ascending=False)


def nice_labels(series):
    return series.map(NICE).fillna(series)


def weekly(df, week_col="started"):
    df = df.dropna(subset=[week_col]).copy()
    df["week"] = df[week_col].dt.to_period("W")
    df["is_done"] = df["status"].eq("done")
    return df.groupby("week").agg(sessions=("key", "count"), done=("is_done", "sum"), minutes=("minutes", "sum"))
