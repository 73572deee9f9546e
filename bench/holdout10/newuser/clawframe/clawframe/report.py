"""Writes the weekly review: a CSV per table and two charts."""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from . import analysis, load  # noqa: E402

COLOURS = {"finished": "tab:green", "error": "tab:red", "time limit": "tab:orange", "stopped": "tab:gray"}


def main(out_dir="review"):
    out = Path(out_dir)
    out.mkdir(exist_ok=True)
    sessions = load.load_sessions()
    runs = load.load_runs()
    tasks = load.load_tasks()

    counts = analysis.status_counts(sessions)
    counts.to_csv(out / "status_counts.csv", header=["sessions"])
    analysis.by_agent(sessions).to_csv(out / "by_agent.csv")
    analysis.bad_runs(sessions)[["key", "agentId", "status", "minutes"]].to_csv(out / "bad_runs.csv", index=False)
    analysis.slow_children(sessions, runs).to_csv(out / "slow_children.csv", index=False)

    ended = counts.drop(labels=["running", "queued", "none"], errors="ignore")
    ended.index = analysis.nice_labels(ended.index.to_series()).values
    ax = ended.plot.bar(color=[COLOURS.get(i, "tab:blue") for i in ended.index])
    ax.set_ylabel("sessions")
    ax.figure.tight_layout()
    ax.figure.savefig(out / "ended.png")
    plt.close(ax.figure)

    weekly = analysis.weekly(sessions)
    ax = weekly[["sessions", "done"]].plot()
    ax.figure.savefig(out / "weekly.png")

    bad = analysis.failing_tasks(tasks)
    errored = int(counts.get("failed", 0))
    late = int(counts.get("timeout", 0))
    print(f"{len(sessions)} sessions, {errored} errored, {late} out of time, {len(bad)} task kinds failing")


if __name__ == "__main__":
    main(*sys.argv[1:])
