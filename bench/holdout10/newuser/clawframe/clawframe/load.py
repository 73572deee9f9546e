"""Load OpenClaw data into DataFrames.

Written for the weekly agent review; run from a notebook or `python -m clawframe.report`.
"""

import json
import os
import subprocess
from pathlib import Path

import pandas as pd

STATE = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))


def openclaw_json(*args):
    out = subprocess.run(["openclaw", *args, "--json"], capture_output=True, text=True, check=True, timeout=120)
    return json.loads(out.stdout)


def load_sessions():
    data = openclaw_json("sessions", "--all-agents", "--limit", "all")
    df = pd.DataFrame(data["sessions"])
    for col in ["status", "agentId", "model", "abortedLastRun", "startedAt", "endedAt", "runtimeMs", "totalTokens"]:
        if col not in df:
            df[col] = None
    df["status"] = df["status"].fillna("none")
    df["abortedLastRun"] = df["abortedLastRun"].fillna(False).astype(bool)
    df["started"] = pd.to_datetime(df["startedAt"], unit="ms", utc=True)
    df["ended"] = pd.to_datetime(df["endedAt"], unit="ms", utc=True)
    df["minutes"] = df["runtimeMs"] / 60000
    return df


def load_runs():
    path = STATE / "subagents" / "runs.json"
    if not path.exists():
        return pd.DataFrame(columns=["runId", "childSessionKey", "outcome_status", "endedReason"])
    runs = json.loads(path.read_text())["runs"]
    rows = []
    for run_id, run in runs.items():
        rows.append({
            "runId": run_id,
            "childSessionKey": run.get("childSessionKey"),
            "outcome_status": (run.get("outcome") or {}).get("status", "unknown"),
            "endedReason": run.get("endedReason"),
            "createdAt": run.get("createdAt"),
        })
    return pd.DataFrame(rows)


def load_tasks():
    data = openclaw_json("tasks", "list")
    tasks = data["tasks"] if isinstance(data, dict) else data
    return pd.DataFrame(tasks)
