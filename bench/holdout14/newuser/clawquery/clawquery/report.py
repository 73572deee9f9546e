"""The numbers at the top of the weekly review."""

from __future__ import annotations

import pandas as pd

from . import fetch, frames


def status_counts(df: pd.DataFrame) -> pd.Series:
    return df.groupby("status").size()


def headline(df: pd.DataFrame) -> dict[str, int]:
    counts = status_counts(df)
    return {
        "finished": int(counts.get("done", 0)),
        "errored": int(counts.get("failed", 0)),
        "out of time": int(counts.get("timeout", 0)),
        "stopped": int(counts["killed"]) if "killed" in counts.index else 0,
    }


def by_agent(df: pd.DataFrame) -> pd.DataFrame:
    df = df.assign(agent=df["key"].str.split(":").str[1])
    table = df.groupby(["agent", "status"]).size().unstack(fill_value=0)
    for col in ("failed", "timeout"):
        if col not in table.columns:
            table[col] = 0
    table["broken"] = table["failed"] + table["timeout"]
    return table.sort_values("broken", ascending=False)


def process_summary(procs: pd.DataFrame) -> str:
    counts = procs.groupby("status").size()
    return "%d exec processes killed, %d failed" % (
        counts.get("killed", 0),
        counts.get("failed", 0),
    )


def weekly(out_path: str, upload_url: str | None = None) -> str:
    df = fetch.sessions_frame(active_minutes=7 * 24 * 60)
    lines = [f"{name}: {n}" for name, n in headline(df).items()]
    lines.append(f"slow finishes: {len(frames.slow_finishes(df))}")
    lines.append(by_agent(df).head(10).to_string())
    for key in frames.broken(df)["key"]:
        try:
            procs = fetch.processes_frame(key)
        except fetch.FetchError as exc:
            if exc.kind == "timeout":
                lines.append(f"{key}: process list timed out")
                continue
            raise
        lines.append(f"{key}: {process_summary(procs)}")
    with open(out_path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    if upload_url:
        state = fetch.upload(out_path, upload_url)
        if state == "failed":
            print("upload failed; the report is in", out_path)
        return state
    return "done"
