"""Rows from the gateway's HTTP tool endpoint, as pandas frames."""

from __future__ import annotations

import json
import os

import pandas as pd
import requests

GATEWAY = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")

# our own upload job to the notebook server (not OpenClaw)
UPLOAD_RETRY = ("timeout", "failed")


class FetchError(RuntimeError):
    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


def invoke(tool: str, args: dict | None = None, session_key: str | None = None) -> dict:
    body = {"tool": tool, "args": args or {}}
    if session_key:
        body["sessionKey"] = session_key
    try:
        resp = requests.post(
            f"{GATEWAY}/tools/invoke",
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=20,
        )
    except requests.Timeout as exc:
        raise FetchError("timeout", str(exc)) from exc
    if resp.status_code != 200:
        raise FetchError("http", resp.text[:200])
    data = resp.json()
    if not data.get("ok"):
        raise FetchError("tool", json.dumps(data.get("error")))
    return data["result"]


def _payload(result: dict) -> dict:
    details = result.get("details")
    if isinstance(details, dict):
        return details
    return json.loads(result["content"][0]["text"])


def sessions_frame(active_minutes: int | None = None) -> pd.DataFrame:
    args = {"limit": 500}
    if active_minutes:
        args["activeMinutes"] = active_minutes
    rows = _payload(invoke("sessions_list", args)).get("sessions", [])
    df = pd.DataFrame(rows)
    if "status" not in df.columns:
        df["status"] = None
    df["status"] = df["status"].fillna("").str.strip().str.lower()
    return df


def processes_frame(session_key: str) -> pd.DataFrame:
    """Background exec sessions of the `process` tool, for one agent session."""
    payload = _payload(invoke("process", {"action": "list"}, session_key=session_key))
    procs = pd.DataFrame(payload.get("sessions", []))
    if "status" not in procs.columns:
        procs["status"] = "running"
    return procs


def upload(path: str, url: str) -> str:
    """Push the rendered notebook; returns our own upload state."""
    for _ in range(3):
        try:
            with open(path, "rb") as fh:
                r = requests.put(url, data=fh, timeout=30)
        except requests.Timeout:
            state = "timeout"
        else:
            state = "done" if r.ok else "failed"
        if state not in UPLOAD_RETRY:
            return state
    return state
