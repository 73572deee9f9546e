"""Find the session an automation run used, through ``POST /tools/invoke``."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import httpx

from . import store

log = logging.getLogger(__name__)

GATEWAY = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")

# how the digest names the session statuses it counts
DIGEST_WORDS = {"timeout": "timed out", "failed": "failed", "killed": "stopped"}


def _sessions(search: str) -> list[dict[str, Any]]:
    resp = httpx.post(
        f"{GATEWAY}/tools/invoke",
        json={"tool": "sessions_list", "args": {"search": search, "limit": 20}},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=15.0,
    )
    body = resp.json()
    if not body.get("ok"):
        error = body.get("error") or {}
        raise RuntimeError(f"sessions_list: {error.get('type')}: {error.get('message', resp.status_code)}")
    result = body["result"]
    details = result.get("details")
    if isinstance(details, dict) and "sessions" in details:
        return list(details["sessions"])
    return list(json.loads(result["content"][0]["text"]).get("sessions", []))


def attach_session(run_id: int, session_key: str, run_status: str | None) -> None:
    """Store the session row of one run (a background task of the webhook)."""
    try:
        rows = _sessions(session_key)
    except (httpx.HTTPError, RuntimeError, ValueError, KeyError) as exc:
        log.warning("run %s: no session row for %s: %s", run_id, session_key, exc)
        return
    row = next((r for r in rows if r.get("key") == session_key), None)
    if row is None:
        return
    store.save_session(run_id, row)
    if run_status == "error" and row.get("status") == "running":
        # the payload errored but the row was not updated yet: count it with the failed ones
        store.mark_session(run_id, "failed")
    elif row.get("status") == "timeout" and not row.get("abortedLastRun"):
        log.info("run %s: session %s hit its time limit", run_id, session_key)


def digest_line() -> str:
    counts = dict.fromkeys(DIGEST_WORDS, 0)
    for run in store.runs_by_session_status(tuple(DIGEST_WORDS)):
        counts[run["session_status"]] += 1
    return ", ".join(f"{counts[s]} {word}" for s, word in DIGEST_WORDS.items())
