"""Refresh SessionMirror from the gateway (POST /tools/invoke sessions_list)."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone

import requests
from django.conf import settings
from django.db import transaction

from .models import ExportJob, SessionMirror, SessionStatus

KNOWN = set(SessionStatus.values)


def _notify_failure(mirror: SessionMirror) -> None:
    requests.post(settings.ALERT_WEBHOOK, json={"text": f"{mirror.key} ended with an error"}, timeout=10)


def _cancel_exports(mirror: SessionMirror) -> None:
    mirror.exports.filter(state=ExportJob.State.QUEUED).update(
        state=ExportJob.State.FAILED, error="the session was stopped before the export ran"
    )


# What to do when a session's status changes to one of these on a sync.
ON_CHANGE = {
    "failed": _notify_failure,
    "killed": _cancel_exports,
}


def _ms(value):
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc) if value else None


def fetch_rows(limit: int = 200) -> list[dict]:
    resp = requests.post(
        f"{settings.OPENCLAW_URL}/tools/invoke",
        headers={"Authorization": f"Bearer {settings.OPENCLAW_TOKEN}"},
        json={"tool": "sessions_list", "args": {"limit": limit}},
        timeout=20,
    )
    resp.raise_for_status()
    result = resp.json()["result"]
    details = result.get("details") or json.loads(result["content"][0]["text"])
    return details.get("sessions", [])


@transaction.atomic
def sync(limit: int = 200) -> int:
    rows = fetch_rows(limit)
    for row in rows:
        status = row.get("status")
        previous = SessionMirror.objects.filter(key=row["key"]).values_list("status", flat=True).first()
        mirror, _ = SessionMirror.objects.update_or_create(
            key=row["key"],
            defaults={
                "agent_id": row.get("agentId", "main"),
                "session_id": row.get("sessionId", ""),
                "label": row.get("label") or "",
                "status": status if status in KNOWN else None,
                "started_at": _ms(row.get("startedAt")),
                "ended_at": _ms(row.get("endedAt")),
                "aborted_last_run": bool(row.get("abortedLastRun")),
            },
        )
        if mirror.status != previous and mirror.status in ON_CHANGE:
            ON_CHANGE[mirror.status](mirror)
    return len(rows)


def abort(key: str) -> None:
    """Stop the session's active run (gateway RPC sessions.abort, through the CLI)."""
    subprocess.run(
        ["openclaw", "gateway", "call", "sessions.abort", "--params", json.dumps({"key": key})],
        check=True, capture_output=True, timeout=30,
    )


def export_transcript(key: str) -> str:
    out = settings.EXPORT_DIR / key.replace(":", "_")
    proc = subprocess.run(
        ["openclaw", "sessions", "export-trajectory", "--session-key", key, "--output", str(out), "--json"],
        capture_output=True, text=True, timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip() or f"export exited {proc.returncode}")
    return str(out)
