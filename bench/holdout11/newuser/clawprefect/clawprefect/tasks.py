"""Prefect tasks: the gateway's ``POST /tools/invoke`` and the ``openclaw`` CLI."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import httpx
from prefect import task
from prefect.cache_policies import NO_CACHE

from clawprefect.settings import GATEWAY_TOKEN, GATEWAY_URL, RETRY_ON


class GatewayError(Exception):
    """A call of the gateway that did not work; ``kind`` says how."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _invoke(client: httpx.Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    try:
        resp = client.post("/tools/invoke", json={"tool": tool, "args": args})
    except httpx.TimeoutException as exc:
        raise GatewayError("timeout", str(exc)) from exc
    except httpx.TransportError as exc:
        raise GatewayError("unavailable", str(exc)) from exc
    if resp.status_code == 429:
        raise GatewayError("rate_limited", resp.headers.get("Retry-After", ""))
    if resp.status_code >= 500:
        raise GatewayError("unavailable", resp.text[:200])
    body = resp.json()
    if not body.get("ok"):
        err = body.get("error") or {}
        raise GatewayError(str(err.get("type", "refused")), str(err.get("message", resp.status_code)))
    result = body["result"]
    details = result.get("details")
    if isinstance(details, dict):
        return details
    return json.loads(result["content"][0]["text"])


def _retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect's ``retry_condition_fn``: retry only what may work next time."""
    try:
        state.result()
    except GatewayError as exc:
        return exc.kind in RETRY_ON
    except Exception:
        return False
    return True


@task(retries=3, retry_delay_seconds=[10, 60, 300], retry_condition_fn=_retry_transient, cache_policy=NO_CACHE)
def list_sessions(active_minutes: int | None = None) -> list[dict[str, Any]]:
    """Every session row of ``sessions_list``, page by page."""
    rows: list[dict[str, Any]] = []
    headers = {"Authorization": f"Bearer {GATEWAY_TOKEN}"} if GATEWAY_TOKEN else {}
    with httpx.Client(base_url=GATEWAY_URL, headers=headers, timeout=30.0) as client:
        offset = 0
        while True:
            args: dict[str, Any] = {"limit": 200, "offset": offset}
            if active_minutes:
                args["activeMinutes"] = active_minutes
            page = _invoke(client, "sessions_list", args)
            rows.extend(page.get("sessions") or [])
            if not page.get("hasMore"):
                return rows
            offset = int(page["nextOffset"])


@task(retries=1, cache_policy=NO_CACHE)
def list_background_tasks() -> list[dict[str, Any]]:
    """``openclaw tasks list --json``."""
    proc = subprocess.run(["openclaw", "tasks", "list", "--json"], capture_output=True, text=True, timeout=120, check=True)
    data = json.loads(proc.stdout)
    return list(data.get("tasks", data) if isinstance(data, dict) else data)


@task(cache_policy=NO_CACHE)
def abort_session(key: str) -> bool:
    """Stop a session's active run through ``sessions.abort``; True when the gateway said ok."""
    proc = subprocess.run(
        ["openclaw", "gateway", "call", "sessions.abort", "--params", json.dumps({"key": key}), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if proc.returncode != 0:
        return False
    return bool(json.loads(proc.stdout or "{}").get("ok", True))
