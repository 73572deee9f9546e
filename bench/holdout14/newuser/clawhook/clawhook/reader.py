"""What the ops bot asks the Redis copy."""

from __future__ import annotations

from .app import JOB_KEY, SESSION_KEY, r

NEEDS_A_LOOK = ("failed", "timeout")


def session_status(key: str) -> str:
    return r.hget(SESSION_KEY.format(key), "status") or ""


def needs_a_look() -> list[str]:
    keys = sorted(r.smembers("clawhook:sessions"))
    return [k for k in keys if session_status(k) in NEEDS_A_LOOK]


def stopped_by_someone(key: str) -> bool:
    fields = r.hgetall(SESSION_KEY.format(key))
    return fields.get("status") == "killed" and fields.get("abortedLastRun") == "1"


def finished(key: str) -> bool:
    return session_status(key) == "done"


def stop_job(key: str) -> str:
    """Our own stop job's state, as the /stop endpoint wrote it."""
    state = r.hget(JOB_KEY.format(key), "state") or "unknown"
    if state == "timeout":
        return "the gateway did not answer the stop in time"
    if state == "failed":
        return "the gateway refused the stop"
    if state == "done":
        return "stopped"
    return state


def line(key: str) -> str:
    st = session_status(key)
    mark = {"done": "ok", "failed": "ERR", "timeout": "SLOW", "killed": "STOP"}.get(st, "?")
    return f"{mark:>4}  {key}"
