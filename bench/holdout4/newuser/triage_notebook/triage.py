# %% [markdown]
# # Why do our agents' runs end badly?
# Exported from triage.ipynb (jupytext, percent format). Reads the state
# directory of the gateway host, copied here with `rsync -a gw:.openclaw/ state/`.

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

STATE = Path("state")
AGENT = "main"

# %%
store = json.loads((STATE / "agents" / AGENT / "sessions" / "sessions.json").read_text())
df = pd.DataFrame.from_dict(store, orient="index").rename_axis("key").reset_index()
df["started"] = pd.to_datetime(df["startedAt"], unit="ms")
df["runtime_min"] = df["runtimeMs"] / 60_000
df["kind"] = df["key"].str.split(":").str[2]
df[["key", "status", "started", "runtime_min", "abortedLastRun"]].tail(20)

# %%
df["status"].value_counts(dropna=False)

# %%
bad = df[df["status"].isin(["failed", "timeout"])]
print(f"{len(bad)} of {len(df)} sessions ended with an error or a time limit")
bad.groupby(["kind", "status"]).size().unstack(fill_value=0)

# %%
# Stopped by hand: were they all flagged abortedLastRun?
stopped = df[df.status == "killed"]
stopped["abortedLastRun"].value_counts()

# %%
# Runtime of the runs that hit their limit, against the ones that finished.
fig, ax = plt.subplots()
for status, colour in [("done", "tab:green"), ("timeout", "tab:orange")]:
    df.loc[df.status == status, "runtime_min"].plot.hist(ax=ax, bins=30, alpha=0.5, color=colour, label=status)
ax.set_xlabel("runtime (min)")
ax.legend()

# %%
# The ACP harness state lives inside the entry: busy harnesses are not stuck sessions.
df["acp_state"] = df["acp"].map(lambda a: a.get("state") if isinstance(a, dict) else None)
df[(df.acp_state == "running") & df.status.isin(["failed", "timeout"])][["key", "status", "acp_state"]]

# %%
# Subagent runs: their outcome is a different field from the session status.
runs = json.loads((STATE / "subagents" / "runs.json").read_text())["runs"]
rdf = pd.DataFrame([{"runId": k, **v.get("outcome", {}), "reason": v.get("endedReason")} for k, v in runs.items()])
rdf["status"].value_counts()

# %%
rdf[rdf["status"] == "timeout"].merge(df, left_on="runId", right_on="sessionId", how="left", suffixes=("_run", ""))

# %%
# Cron: last run of each job.
jobs = json.loads((STATE / "cron" / "jobs.json").read_text())["jobs"]
pd.DataFrame([{"job": j["id"], "last": j.get("state", {}).get("lastRunStatus")} for j in jobs]).query("last == 'error'")
