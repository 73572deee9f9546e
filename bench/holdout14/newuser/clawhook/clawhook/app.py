"""The webhook: each session change lands in a Redis hash per session key."""

from __future__ import annotations

import json
import os
import subprocess
import time

import redis
from fastapi import FastAPI, HTTPException, Request

r = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://localhost:6379/0"), decode_responses=True)
app = FastAPI(title="clawhook")

SESSION_KEY = "clawhook:session:{}"
JOB_KEY = "clawhook:job:{}"


def _store(payload: dict) -> None:
    key = payload.get("sessionKey") or payload.get("key")
    if not key:
        return
    fields = {"updatedAt": str(payload.get("updatedAt") or int(time.time() * 1000))}
    if "status" in payload:
        fields["status"] = payload.get("status") or ""
    if "abortedLastRun" in payload:
        fields["abortedLastRun"] = "1" if payload["abortedLastRun"] else "0"
    for name in ("startedAt", "endedAt", "runtimeMs"):
        if payload.get(name) is not None:
            fields[name] = str(payload[name])
    r.hset(SESSION_KEY.format(key), mapping=fields)
    r.sadd("clawhook:sessions", key)


@app.post("/hooks/openclaw")
async def receive(request: Request) -> dict:
    body = await request.json()
    if body.get("event") not in ("sessions.changed", "sessions.snapshot"):
        raise HTTPException(status_code=400, detail="unknown event")
    _store(body.get("payload") or {})
    return {"ok": True}


@app.post("/sessions/{key}/stop")
def stop(key: str) -> dict:
    """Stop a runaway session from the ops bot, and remember that we did."""
    job = JOB_KEY.format(key)
    r.hset(job, mapping={"state": "running", "started": str(time.time())})
    try:
        proc = subprocess.run(
            ["openclaw", "gateway", "call", "sessions.abort", "--json", "--params", json.dumps({"key": key})],
            capture_output=True,
            text=True,
            timeout=15,
        )
    except subprocess.TimeoutExpired:
        r.hset(job, mapping={"state": "timeout"})
        raise HTTPException(status_code=504, detail="gateway did not answer")
    if proc.returncode != 0:
        r.hset(job, mapping={"state": "failed", "error": proc.stderr[:200]})
        raise HTTPException(status_code=502, detail="gateway refused")
    r.hset(SESSION_KEY.format(key), mapping={"status": "killed", "abortedLastRun": "1"})
    r.hset(job, mapping={"state": "done"})
    return {"stopped": key}
