"""Starlette app receiving OpenClaw automation webhooks.

An automation whose delivery mode is ``webhook`` POSTs one JSON event per
finished run: ``{jobId, action: "finished", job, runAtMs, durationMs, status,
error, summary, deliveryStatus, sessionId, sessionKey, model, provider,
usage}``. ``status`` is the payload's own outcome (``ok``/``error``/``skipped``);
a run can also carry ``completionStatus`` when its delivery went wrong. We keep
every event, then look the run's session up in the background.

Run with ``uvicorn hookdesk.app:app --port 8710`` and allow the host in
``cron.webhookSsrfPolicy.allowedHostnames``.
"""

from __future__ import annotations

import hmac
import os

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import enrich, store

TOKEN = os.environ.get("HOOKDESK_TOKEN", "")

# payload outcomes worth a page; skipped runs are only counted
PAGE_ON = frozenset({"error"})
BROKEN_DELIVERY = ("failed", "partial_failed")


def _authorised(request: Request) -> bool:
    if not TOKEN:
        return True
    sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(sent, TOKEN)


async def cron_finished(request: Request) -> Response:
    if not _authorised(request):
        return Response(status_code=401)
    event = await request.json()
    if event.get("action") != "finished":
        return JSONResponse({"ignored": event.get("action")}, status_code=202)
    run_id = store.save_run(event)
    # status "ok" with completionStatus "failed" is a delivery problem, not a broken run
    delivery_broken = event.get("completionStatus") == "failed" or event.get("deliveryStatus") in BROKEN_DELIVERY
    task = None
    if event.get("sessionKey"):
        task = BackgroundTask(enrich.attach_session, run_id, event["sessionKey"], event.get("status"))
    body = {"run": run_id, "page": event.get("status") in PAGE_ON, "deliveryBroken": delivery_broken}
    return JSONResponse(body, background=task)


async def recent(request: Request) -> Response:
    limit = int(request.query_params.get("limit", "50"))
    rows = store.recent_runs(limit=limit, session_status=request.query_params.get("session_status"))
    return JSONResponse({"runs": rows})


async def stuck(request: Request) -> Response:
    # runs whose session ended on its time limit or on an error: what on-call reads first
    return JSONResponse({"runs": store.runs_by_session_status(("timeout", "failed"))})


async def summary(request: Request) -> Response:
    return JSONResponse({"line": enrich.digest_line(), "undelivered": store.failed_deliveries()})


app = Starlette(
    routes=[
        Route("/openclaw/cron", cron_finished, methods=["POST"]),
        Route("/runs", recent),
        Route("/runs/stuck", stuck),
        Route("/summary", summary),
    ]
)
