"""Session rows and follow-up replies, kept in Redis hashes between polls."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import redis

from . import settings

r = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)

ROW_KEY = "clawq:session:{key}"
FOLLOWUP_KEY = "clawq:followup:{key}"
INDEX = "clawq:sessions"


def save_rows(rows: Iterable[dict[str, Any]]) -> int:
    """Store each ``sessions_list`` row as a hash; return how many."""
    pipe = r.pipeline()
    n = 0
    for row in rows:
        pipe.hset(
            ROW_KEY.format(key=row["key"]),
            mapping={
                "key": row["key"],
                "status": row.get("status") or "",
                "endedAt": row.get("endedAt") or 0,
                "aborted": int(bool(row.get("abortedLastRun"))),
                "seen": int(time.time()),
            },
        )
        pipe.sadd(INDEX, row["key"])
        n += 1
    pipe.execute()
    return n


def load_row(key: str) -> dict[str, str]:
    return r.hgetall(ROW_KEY.format(key=key))


def all_rows() -> list[dict[str, str]]:
    return [load_row(k) for k in sorted(r.smembers(INDEX))]


def forget(key: str) -> None:
    r.delete(ROW_KEY.format(key=key), FOLLOWUP_KEY.format(key=key))
    r.srem(INDEX, key)


def mark_stopped(key: str) -> None:
    """We stopped this session ourselves: say so now rather than wait for the next poll."""
    r.hset(ROW_KEY.format(key=key), mapping={"status": "killed", "aborted": 1})


def record_followup(key: str, reply: dict[str, Any]) -> None:
    r.hset(
        FOLLOWUP_KEY.format(key=key),
        mapping={"status": reply.get("status", "error"), "at": int(time.time()), "reply": json.dumps(reply.get("reply"))},
    )


def followup_unanswered(key: str) -> bool:
    """The agent got our question but did not answer in time."""
    return r.hget(FOLLOWUP_KEY.format(key=key), "status") == "timeout"


def ended_counts() -> dict[str, int]:
    counts = dict.fromkeys(settings.SESSION_ENDED, 0)
    for row in all_rows():
        if row.get("status") in counts:
            counts[row["status"]] += 1
    return counts
