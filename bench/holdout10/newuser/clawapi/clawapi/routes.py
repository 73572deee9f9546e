"""The routes: sessions, their problems, subagent runs, CSV exports."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse

from .gateway import Gateway, UpstreamError, read_runs
from .schemas import ExportJob, Problem, RunOut, SessionOut, SessionPage, SessionStatus

router = APIRouter()

# Which HTTP status a failed upstream call becomes.
UPSTREAM_STATUS = {"timeout": 504, "unreachable": 502, "not_allowed": 501, "tool_error": 502}

WHY = {
    "failed": "the last run stopped on an error",
    "timeout": "the last run hit its time limit",
    "killed": "someone stopped the last run",
}

_exports: dict[str, ExportJob] = {}


def gateway(request: Request) -> Gateway:
    return request.app.state.gateway


def _upstream(exc: UpstreamError) -> HTTPException:
    return HTTPException(UPSTREAM_STATUS.get(exc.kind, 502), detail=str(exc))


@router.get("/sessions", response_model=SessionPage)
async def list_sessions(
    status: SessionStatus | None = Query(default=None),
    agent: str | None = Query(default=None),
    q: str | None = Query(default=None, max_length=200),
    gw: Gateway = Depends(gateway),
) -> SessionPage:
    try:
        rows = [SessionOut.model_validate(r) for r in await gw.sessions(agent_id=agent, search=q)]
    except UpstreamError as exc:
        raise _upstream(exc) from exc
    if status is not None:
        rows = [r for r in rows if r.status == status]
    return SessionPage(count=len(rows), sessions=rows)


@router.get("/sessions/problems", response_model=list[Problem])
async def problems(gw: Gateway = Depends(gateway)) -> list[Problem]:
    try:
        rows = [SessionOut.model_validate(r) for r in await gw.ended()]
    except UpstreamError as exc:
        raise _upstream(exc) from exc
    out = []
    for row in rows:
        if row.status == "killed" and not row.aborted_last_run:
            # Stopped by the gateway itself (restart recovery), not by a person.
            continue
        if row.status in WHY:
            out.append(Problem(key=row.key, status=row.status, why=WHY[row.status]))
    return out


@router.get("/runs", response_model=list[RunOut])
async def runs(request: Request, outcome: str | None = None, limit: int = Query(default=50, le=500)) -> list[RunOut]:
    state_dir: Path = request.app.state.state_dir
    out = []
    for run in read_runs(state_dir):
        status = (run.get("outcome") or {}).get("status")
        if outcome is not None and status != outcome:
            continue
        out.append(RunOut(run_id=run["runId"], child_session_key=run.get("childSessionKey"),
                          outcome=status, ended_reason=run.get("endedReason")))
        if len(out) >= limit:
            break
    return out


async def _export(job: ExportJob, gw: Gateway) -> None:
    job.state = "running"
    try:
        rows = await gw.sessions()
    except UpstreamError as exc:
        job.state, job.error = "failed", str(exc)
        return
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["key", "agentId", "status", "runtimeMs"], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    _files[job.id] = buf.getvalue()
    job.rows = len(rows)
    job.state = "done"


_files: dict[str, str] = {}


@router.post("/exports", response_model=ExportJob, status_code=202)
async def start_export(tasks: BackgroundTasks, gw: Gateway = Depends(gateway)) -> ExportJob:
    job = ExportJob(id=uuid.uuid4().hex[:12])
    _exports[job.id] = job
    tasks.add_task(_export, job, gw)
    return job


@router.get("/exports/{job_id}")
async def get_export(job_id: str):
    job = _exports.get(job_id)
    if job is None:
        raise HTTPException(404)
    if job.state == "done":
        return PlainTextResponse(_files[job_id], media_type="text/csv")
    if job.state == "failed":
        raise HTTPException(502, detail=job.error)
    return job
