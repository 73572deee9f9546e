"""Filters the review notebook uses on the sessions frame."""

from __future__ import annotations

import pandas as pd

ENDED = ["done", "failed", "timeout", "killed"]
BROKEN = ["failed", "timeout"]


def ended(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["status"].isin(ENDED)]


def broken(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["status"].isin(BROKEN)]


def still_going(df: pd.DataFrame) -> pd.DataFrame:
    return df[~df["status"].isin(["done", "failed", "timeout", "killed"])]


def failed_only(df: pd.DataFrame) -> pd.DataFrame:
    return df.query("status == 'failed'")


def user_stops(df: pd.DataFrame) -> pd.DataFrame:
    mask = df["status"].eq("killed") & df.get("abortedLastRun", False)
    return df[mask]


def slow_finishes(df: pd.DataFrame, over_ms: int = 600_000) -> pd.DataFrame:
    done = df.loc[df["status"] == "done"]
    return done[done["runtimeMs"].fillna(0) > over_ms]


def dead_processes(procs: pd.DataFrame) -> pd.DataFrame:
    """Exec processes that did not exit cleanly (the `process` tool's statuses)."""
    return procs[procs["status"].isin(["failed", "killed"])]
