"""OpenClaw sessions dashboard: `streamlit run app.py`."""

from __future__ import annotations

import streamlit as st

import data
import palette

st.set_page_config(page_title="OpenClaw sessions", layout="wide")

sessions = data.load_sessions()
tasks = data.load_tasks()

with st.sidebar:
    agents = st.multiselect("Agents", sorted(sessions["agentId"].dropna().unique()))
    statuses = st.multiselect("Status", list(palette.STATUS_COLOURS), default=palette.ATTENTION)
    if st.button("Reload"):
        st.cache_data.clear()
        st.session_state["reload"] = "done"
        st.rerun()

view = sessions
if agents:
    view = view[view["agentId"].isin(agents)]
if statuses:
    view = view[view["status"].isin(statuses)]

total, bad, timed_out, stopped, trouble = st.columns(5)
total.metric("Sessions", len(sessions))
bad.metric("Ended badly", len(data.ended_badly(sessions)))
timed_out.metric("Timed out", int((sessions["status"] == "timeout").sum()))
stopped.metric("Stopped by a user", len(data.stopped_by_user(sessions)))
trouble.metric("Tasks in trouble", len(data.task_trouble(tasks)))


def session_colour(value: str) -> str:
    return f"color: {palette.STATUS_COLOURS.get(value, palette.UNKNOWN)}"


def task_colour(value: str) -> str:
    return f"color: {palette.TASK_COLOURS.get(value, palette.UNKNOWN)}"


st.subheader(f"Sessions ({len(view)})")
columns = ["agentId", "key", "status", "updated", "model"]
st.dataframe(view[columns].style.map(session_colour, subset=["status"]), use_container_width=True)

st.subheader("Per agent")
st.bar_chart(data.per_agent(sessions))

st.subheader("Background tasks")
if "status" in tasks:
    st.dataframe(tasks.style.map(task_colour, subset=["status"]), use_container_width=True)
else:
    st.caption("No background tasks.")

if st.session_state.pop("reload", None) == "done":
    st.toast("Reloaded from the CLI")
