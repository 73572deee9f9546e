"""The team's receivers; each returns how its delivery went (sent, skipped, failed)."""

from __future__ import annotations

import os
from typing import Any

import httpx

from .signals import session_settled, subagent_ended

HOOK = os.environ.get("CLAWSIGNAL_WEBHOOK", "")


def _post(text: str) -> str:
    if not HOOK:
        return "skipped"
    try:
        httpx.post(HOOK, json={"text": text}, timeout=5).raise_for_status()
    except httpx.HTTPError:
        return "failed"
    return "sent"


@session_settled.connect
def page_on_crash(sender: str, status: str, row: dict[str, Any], **_: Any) -> str | None:
    if status != "failed":
        return None
    return _post(":rotating_light: %s crashed" % sender)


@session_settled.connect
def note_time_limit(sender: str, status: str, row: dict[str, Any], **_: Any) -> str | None:
    if status == "timeout" and not row.get("abortedLastRun"):
        return _post(":hourglass: %s hit its time limit" % sender)
    return None


@session_settled.connect
def log_stop(sender: str, status: str, previous: str | None, **_: Any) -> str | None:
    if status == "killed":
        print("clawsignal: %s stopped (was %s)" % (sender, previous or "new"))
        return "skipped"
    return None


@subagent_ended.connect
def run_time_limit(sender: str, status: str | None, reason: str | None = None, **_: Any) -> str | None:
    if status == "timeout":
        return _post(":hourglass: sub-agent run %s timed out (%s)" % (sender, reason or "no reason"))
    return None
