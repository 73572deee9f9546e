"""Poll sessions_list once a minute and report each session as a span and, if bad, to Sentry."""

from __future__ import annotations

import json
import os
import time

import httpx
import sentry_sdk
from opentelemetry.trace import Status, StatusCode

from .telemetry import STATUS_ATTR, setup

GATEWAY = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")

seen: dict[str, str] = {}


def fetch() -> tuple[str, list[dict]]:
    """The poller's own job state (done, timeout, failed) and the rows it got."""
    try:
        resp = httpx.post(
            f"{GATEWAY}/tools/invoke",
            json={"tool": "sessions_list", "args": {"activeMinutes": 60}},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=20,
        )
        resp.raise_for_status()
    except httpx.TimeoutException:
        return "timeout", []
    except httpx.HTTPError:
        return "failed", []
    result = resp.json()["result"]
    details = result.get("details") or json.loads(result["content"][0]["text"])
    return "done", details.get("sessions", [])


def once(tracer) -> str:
    job_state, rows = fetch()
    if job_state != "done":
        sentry_sdk.set_tag("job_state", job_state)
        sentry_sdk.capture_message("clawtrace: sessions_list did not answer", level="error")
        return job_state
    for row in rows:
        status = row.get("status") or "unknown"
        if seen.get(row["key"]) == status:
            continue
        seen[row["key"]] = status
        with tracer.start_as_current_span("openclaw.session.poll", attributes={STATUS_ATTR: status, "openclaw.session.key": row["key"]}) as span:
            if status in ("failed", "timeout"):
                span.set_status(Status(StatusCode.ERROR, status))
            with sentry_sdk.push_scope() as scope:
                scope.set_tag("session_status", status)
                scope.set_tag("job_state", job_state)
                if status == "failed":
                    sentry_sdk.capture_message(f"session {row['key']} ended with an error", level="error")
                elif status == "killed" and not row.get("abortedLastRun"):
                    sentry_sdk.capture_message(f"session {row['key']} stopped without an abort flag", level="warning")
    return job_state


def main() -> None:
    tracer = setup()
    while True:
        state = once(tracer)
        time.sleep(120 if state == "timeout" else 60)


if __name__ == "__main__":
    main()
