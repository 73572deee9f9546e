"""clawboard: a live board of OpenClaw sessions.

    uvicorn clawboard.app:app --port 8080
"""
from datetime import datetime, timezone

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse

from .gw import Gateway
from .models import RefreshState, Session

app = FastAPI(title="clawboard")
gw = Gateway()
SESSIONS: dict[str, Session] = {}
refresh = RefreshState()


def on_changed(payload: dict) -> None:
    row = payload.get("session")
    if not row:
        # a key-only or rowless change: the next reload picks it up
        return
    s = Session.model_validate(row)
    SESSIONS[s.key] = s


async def reload() -> None:
    refresh.status = "running"
    try:
        res = await gw.call("sessions.list", {"limit": 500})
        fresh = {}
        for row in res.get("sessions", []):
            s = Session.model_validate(row)
            fresh[s.key] = s
        SESSIONS.clear()
        SESSIONS.update(fresh)
        refresh.status = "done"
        refresh.error = None
    except Exception as e:  # shown in the footer, the board keeps the old rows
        refresh.status = "failed"
        refresh.error = str(e)
    refresh.at = datetime.now(timezone.utc)


@app.on_event("startup")
async def startup() -> None:
    await gw.connect()
    gw.on("sessions.changed", on_changed)
    await gw.call("sessions.subscribe", {})
    await reload()


@app.post("/api/reload")
async def api_reload():
    await reload()
    return refresh.model_dump()


@app.get("/api/sessions")
async def list_sessions(status: str | None = None, problems: bool = False):
    rows = list(SESSIONS.values())
    if status:
        rows = [s for s in rows if s.status == status]
    if problems:
        rows = [s for s in rows if s.needs_attention or s.status == "killed"]
    return [s.model_dump(by_alias=True) for s in rows]


@app.get("/api/summary")
async def summary():
    counts = {"running": 0, "done": 0, "failed": 0, "timeout": 0, "killed": 0, "other": 0}
    for s in SESSIONS.values():
        counts[s.status if s.status in counts else "other"] += 1
    return {"counts": counts, "refresh": refresh.model_dump()}


@app.post("/api/sessions/{key}/stop")
async def stop(key: str):
    s = SESSIONS.get(key)
    if s is None:
        raise HTTPException(status_code=404, detail="no such session")
    if s.status != "running":
        raise HTTPException(status_code=409, detail=f"session is {s.status}")
    await gw.call("sessions.abort", {"key": key})
    # optimistic: the sessions.changed event brings the real row
    SESSIONS[key] = s.model_copy(update={"status": "killed", "aborted": True})
    return {"ok": True}


@app.get("/", response_class=HTMLResponse)
async def index():
    items = "".join(
        f'<li style="color:{s.badge}">{s.key}: {s.status or "-"}</li>' for s in SESSIONS.values()
    )
    footer = "refreshing" if refresh.status == "running" else f"last reload: {refresh.status}"
    if refresh.status == "failed":
        footer += f" ({refresh.error})"
    return f"<ul>{items}</ul><footer>{footer}</footer>"
