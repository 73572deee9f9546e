"""The watchers: poll, remember what was seen, page on what changed."""

from __future__ import annotations

import json
import logging
from collections import Counter

import redis
import requests
from celery import shared_task

from . import celeryconfig, gateway

log = logging.getLogger(__name__)
_seen = redis.Redis.from_url(celeryconfig.broker_url, decode_responses=True)

TEMPLATES = {
    "failed": ":red_circle: `{key}` stopped on an error after {secs}s",
    "timeout": ":hourglass: `{key}` ran out of time after {secs}s",
    "killed": ":octagonal_sign: `{key}` was stopped",
}


def _post(text: str) -> None:
    if celeryconfig.WEBHOOK_URL:
        requests.post(celeryconfig.WEBHOOK_URL, json={"text": text}, timeout=10)


@shared_task(bind=True, max_retries=5)
def poll_sessions(self) -> dict[str, int]:
    try:
        rows = gateway.sessions()
    except gateway.CliError as exc:
        if exc.reason in celeryconfig.RETRY_ON:
            raise self.retry(exc=exc, countdown=30)
        raise
    changed = 0
    for row in rows:
        key, status = row["key"], row.get("status")
        before = _seen.hget("clawcelery:status", key)
        if status is None or status == before:
            continue
        _seen.hset("clawcelery:status", key, status)
        changed += 1
        if status in celeryconfig.ALERT_ON:
            notify.delay(key, status, row.get("runtimeMs") or 0)
        elif status == celeryconfig.QUIET_ON:
            log.info("%s stopped (aborted=%s)", key, row.get("abortedLastRun"))
    return {"rows": len(rows), "changed": changed}


@shared_task(autoretry_for=(requests.RequestException,), retry_backoff=True)
def notify(key: str, status: str, runtime_ms: int) -> str:
    template = TEMPLATES.get(status)
    if template is None:
        return "skipped"
    _post(template.format(key=key, secs=runtime_ms // 1000))
    return "sent"


@shared_task
def poll_background_tasks() -> int:
    bad = [t for t in gateway.background_tasks() if t.get("status") in ("failed", "timed_out", "lost")]
    for t in bad:
        if not _seen.sadd("clawcelery:tasks-reported", t["taskId"]):
            continue
        _post(f":warning: background task `{t['taskId']}` is {t['status']}")
    return len(bad)


@shared_task(bind=True)
def stop_session(self, key: str) -> str:
    """Abort one session; the result is what happened to our call, not the session's status."""
    try:
        gateway.abort(key)
    except gateway.CliError as exc:
        return "timeout" if exc.reason == "timeout" else "failed"
    _seen.hset("clawcelery:status", key, "killed")
    return "done"


@shared_task
def daily_digest() -> dict[str, int]:
    rows = gateway.sessions()
    counts = Counter(row.get("status") or "unknown" for row in rows)
    summary = {
        "finished": counts["done"],
        "errors": counts["failed"],
        "timeouts": counts["timeout"],
        "stopped": counts["killed"],
        "running": counts["running"],
    }
    _post("Yesterday in OpenClaw: " + json.dumps(summary))
    return summary
