"""Loading and slicing what the `openclaw` CLI prints."""

from __future__ import annotations

import json
import subprocess

import pandas as pd
import streamlit as st

ENDED_BADLY = ["failed", "timeout", "killed"]
TASK_TROUBLE = ["failed", "timed_out", "lost"]


def _cli_json(*args: str) -> object:
    out = subprocess.run(["openclaw", *args, "--json"], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


@st.cache_data(ttl=30)
def load_sessions() -> pd.DataFrame:
    # `--all-agents` wraps the rows: {stores, allAgents, count, totalCount, limitApplied, hasMore, sessions}
    doc = _cli_json("sessions", "--all-agents", "--limit", "all")
    rows = doc.get("sessions", []) if isinstance(doc, dict) else []
    df = pd.json_normalize(rows)
    for column in ("agentId", "key", "status", "model", "updatedAt", "abortedLastRun"):
        if column not in df:
            df[column] = None
    df["status"] = df["status"].fillna("unknown")
    df["abortedLastRun"] = df["abortedLastRun"].fillna(False).astype(bool)
    df["updated"] = pd.to_datetime(df["updatedAt"], unit="ms", errors="coerce")
    return df


@st.cache_data(ttl=30)
def load_tasks() -> pd.DataFrame:
    doc = _cli_json("tasks", "list")
    tasks = doc.get("tasks", []) if isinstance(doc, dict) else doc
    return pd.DataFrame(tasks)


def ended_badly(sessions: pd.DataFrame) -> pd.DataFrame:
    return sessions[sessions["status"].isin(ENDED_BADLY)]


def stopped_by_user(sessions: pd.DataFrame) -> pd.DataFrame:
    return sessions[(sessions["status"] == "killed") & sessions["abortedLastRun"]]


def task_trouble(tasks: pd.DataFrame) -> pd.DataFrame:
    if "status" not in tasks:
        return tasks.iloc[0:0]
    return tasks[tasks["status"].isin(TASK_TROUBLE)]


def per_agent(sessions: pd.DataFrame) -> pd.DataFrame:
    table = sessions.pivot_table(index="agentId", columns="status", values="key", aggfunc="count", fill_value=0)
    return table.reindex(columns=[c for c in ("running", "done", "failed", "timeout", "killed") if c in table.columns])
