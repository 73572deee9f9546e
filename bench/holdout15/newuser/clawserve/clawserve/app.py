"""The HTTP API: session rows with numeric statuses, a stop, and export jobs."""

from __future__ import annotations

import asyncio
import json
import uuid

from aiohttp import web

from . import mirror
from .codes import JOB_CODES, StatusCode, decode, encode

routes = web.RouteTableDef()

# export jobs: the service's own work, not sessions
jobs: dict[str, dict] = {}


def public(entry: dict) -> dict:
    return {
        "key": entry["key"],
        "agent": entry.get("agent"),
        "status": encode(entry.get("status")),
        "startedAt": entry.get("startedAt"),
        "endedAt": entry.get("endedAt"),
        "stoppedByUser": entry.get("status") == "killed",
    }


@routes.get("/v1/sessions")
async def list_sessions(request: web.Request) -> web.Response:
    rows = mirror.rows()
    want = request.query.get("status")
    if want is not None:
        status = decode(int(want))
        rows = [r for r in rows if r.get("status") == status]
    if request.query.get("ended") == "1":
        rows = [r for r in rows if r.get("status") in ("done", "failed", "killed", "timeout")]
    return web.json_response([public(r) for r in rows])


@routes.get("/v1/sessions/{key}")
async def one(request: web.Request) -> web.Response:
    entry = mirror.get(request.match_info["key"])
    if entry is None:
        raise web.HTTPNotFound()
    return web.json_response(public(entry))


@routes.put("/v1/sessions/{key}/status")
async def put_status(request: web.Request) -> web.Response:
    """Another team's scheduler tells us how a session it drove ended, by number."""
    body = await request.json()
    status = decode(body.get("status", -1))
    if status is None or status == "running":
        raise web.HTTPBadRequest(text="status must be 2 to 5")
    mirror.set_status(request.match_info["key"], status)
    return web.json_response({"ok": True})


@routes.post("/v1/sessions/{key}/stop")
async def stop(request: web.Request) -> web.Response:
    key = request.match_info["key"]
    proc = await asyncio.create_subprocess_exec(
        "openclaw", "gateway", "call", "sessions.abort", "--params", json.dumps({"key": key}), "--json",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise web.HTTPBadGateway(text="sessions.abort failed")
    mirror.set_status(key, "killed")
    return web.json_response({"ok": True, "status": int(StatusCode.KILLED), "gateway": json.loads(out or b"{}")})


async def _export(job_id: str) -> None:
    job = jobs[job_id]
    job["state"] = "running"
    try:
        await asyncio.wait_for(asyncio.to_thread(mirror.save), 30)
    except asyncio.TimeoutError:
        job["state"] = "timeout"
    except OSError:
        job["state"] = "failed"
    else:
        job["state"] = "done"


@routes.post("/v1/exports")
async def new_export(request: web.Request) -> web.Response:
    job_id = uuid.uuid4().hex
    jobs[job_id] = {"state": "queued"}
    asyncio.get_running_loop().create_task(_export(job_id))
    return web.json_response({"id": job_id, "state": JOB_CODES["queued"]}, status=202)


@routes.get("/v1/exports/{job_id}")
async def export_state(request: web.Request) -> web.Response:
    job = jobs.get(request.match_info["job_id"])
    if job is None:
        raise web.HTTPNotFound()
    finished = job["state"] in ("done", "failed", "timeout")
    return web.json_response({"state": JOB_CODES[job["state"]], "finished": finished})


@routes.get("/v1/stale")
async def stale(request: web.Request) -> web.Response:
    return web.json_response([public(e) for e in mirror.stale()])


def make_app() -> web.Application:
    mirror.load()
    app = web.Application()
    app.add_routes(routes)
    return app


if __name__ == "__main__":
    web.run_app(make_app(), port=8088)
