"""Gateway calls, each retried on the failures that pass."""

from __future__ import annotations

import json
import logging
import os
import socket
from typing import Any

import requests
from tenacity import (
    before_sleep_log,
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

log = logging.getLogger(__name__)

GATEWAY = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")


class CallError(Exception):
    """A /tools/invoke call that did not give a result; ``reason`` says why."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__("%s %s" % (reason, detail))
        self.reason = reason  # "timeout", "busy", "auth", "tool", "http"


def _passing(exc: BaseException) -> bool:
    # Worth another try: the gateway was slow or shedding load. Not: bad token, tool error.
    return isinstance(exc, CallError) and exc.reason in ("timeout", "busy")


@retry(
    retry=retry_if_exception(_passing),
    wait=wait_exponential_jitter(initial=0.5, max=20),
    stop=stop_after_attempt(6),
    before_sleep=before_sleep_log(log, logging.WARNING),
    reraise=True,
)
def invoke(tool: str, args: dict[str, Any], session_key: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"tool": tool, "args": args}
    if session_key:
        payload["sessionKey"] = session_key
    try:
        resp = requests.post(
            GATEWAY + "/tools/invoke",
            json=payload,
            headers={"Authorization": "Bearer " + os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")},
            timeout=(5, 30),
        )
    except (requests.Timeout, socket.timeout) as exc:
        raise CallError("timeout", str(exc)) from exc
    if resp.status_code in (429, 503):
        raise CallError("busy", resp.headers.get("Retry-After", ""))
    if resp.status_code in (401, 403):
        raise CallError("auth", resp.text[:200])
    body = resp.json()
    if not body.get("ok"):
        err = body.get("error") or {}
        raise CallError("tool" if resp.status_code < 500 else "http", "%s: %s" % (err.get("type"), err.get("message")))
    result = body["result"]
    return result.get("details") or json.loads(result["content"][0]["text"])


def find_session(key: str) -> dict[str, Any] | None:
    """The sessions_list row with this key (``search`` narrows it; keys are compared exactly)."""
    page = invoke("sessions_list", {"search": key, "limit": 50})
    return next((row for row in page.get("sessions", []) if row.get("key") == key), None)


def wait_runs(run_ids: list[str], timeout_s: int = 30) -> dict[str, Any]:
    """agents_wait over the runs: it answers when one of them completes, or after ``timeout_s``."""
    return invoke("agents_wait", {"ids": run_ids, "timeoutSeconds": min(timeout_s, 600)})
