"""Writing the monthly archive, and reading it back for the reports."""

from __future__ import annotations

import datetime as dt
import json
import os
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from marshmallow import ValidationError

from .schemas import ArchiveSchema, ExportJob, Session, SessionSchema, SubagentRunSchema

GATEWAY = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
STATE_DIR = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))


def _sessions_list(offset: int) -> dict[str, Any]:
    req = urllib.request.Request(
        GATEWAY + "/tools/invoke",
        data=json.dumps({"tool": "sessions_list", "args": {"limit": 200, "offset": offset}}).encode(),
        headers={"Authorization": "Bearer " + os.environ["OPENCLAW_GATEWAY_TOKEN"],
                 "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        body = json.load(resp)
    if not body.get("ok"):
        raise RuntimeError(body.get("error"))
    return body["result"]["details"]


def fetch_rows() -> list[dict[str, Any]]:
    rows, offset = [], 0
    while True:
        page = _sessions_list(offset)
        rows += page.get("sessions", [])
        if not page.get("hasMore"):
            return rows
        offset = page["nextOffset"]


def export(month: str, out_dir: Path, skip: Iterable[str] = ("running", "queued")) -> ExportJob:
    """Archive the month's ended sessions; the job says how it went."""
    job = ExportJob(month, state="running")
    schema = SessionSchema()
    sessions: list[Session] = []
    for row in fetch_rows():
        if row.get("status") in skip:
            continue
        started = row.get("startedAt")
        if not started or dt.datetime.fromtimestamp(started / 1000, dt.UTC).strftime("%Y-%m") != month:
            continue
        try:
            sessions.append(schema.load(row))
        except ValidationError as exc:
            job.errors.append("%s: %s" % (row.get("key"), exc.messages))
    runs_file = STATE_DIR / "subagents" / "runs.json"
    runs = []
    if runs_file.exists():
        raw = json.loads(runs_file.read_text()).get("runs", {})
        runs = SubagentRunSchema(many=True).load([dict(r, runId=k) for k, r in raw.items()])
    job.written = len(sessions)
    job.state = "failed" if job.errors and not sessions else "done"
    out = out_dir / ("sessions-%s.json" % month)
    out.write_text(json.dumps(ArchiveSchema().dump({"month": month, "sessions": sessions, "runs": runs, "job": job}),
                              indent=2))
    return job


def load(path: Path) -> dict[str, Any]:
    return ArchiveSchema().load(json.loads(path.read_text()))


def month_report(path: Path) -> dict[str, Any]:
    """What the quality review looks at: how runs ended, and how sub-agents did."""
    archive = load(path)
    sessions: list[Session] = archive["sessions"]
    by_status = Counter(s.status for s in sessions)
    broken = [s for s in sessions if s.status in ("failed", "timeout") and not s.aborted]
    outcomes = Counter(r["outcome"] for r in archive["runs"])
    return {
        "month": archive["month"],
        "sessions": len(sessions),
        "finished": by_status["done"],
        "broken": len(broken),
        "stopped": by_status["killed"],
        "subagent_timeouts": outcomes["timeout"],
        "export_ok": archive["job"].state == "done",
        "tokens_broken": sum(s.tokens for s in broken),
    }
