"""Refresh the mirror from the gateway's session list."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from .models import ENDED, SessionMirror, SyncRun

OPENCLAW = os.environ.get("OPENCLAW_BIN", "openclaw")
STATE_DIR = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))


def _ms(value: Any) -> dt.datetime | None:
    if not isinstance(value, (int, float)):
        return None
    return dt.datetime.fromtimestamp(value / 1000, tz=dt.timezone.utc)


def fetch_rows(timeout: float = 60.0) -> list[dict[str, Any]]:
    """Every session of every agent, newest first."""
    out = subprocess.run(
        [OPENCLAW, "sessions", "--all-agents", "--limit", "all", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
    )
    return list(json.loads(out.stdout).get("sessions", []))


def apply_row(db: Session, run: SyncRun, row: dict[str, Any]) -> SessionMirror:
    mirror = db.get(SessionMirror, row["key"]) or SessionMirror(key=row["key"], agent_id=row.get("agentId", "main"))
    mirror.status = row.get("status")
    mirror.aborted = bool(row.get("abortedLastRun"))
    mirror.model = row.get("model")
    mirror.started_at = _ms(row.get("startedAt"))
    mirror.ended_at = _ms(row.get("endedAt")) if mirror.status in ENDED else None
    mirror.runtime_ms = row.get("runtimeMs")
    mirror.last_sync = run
    db.add(mirror)
    return mirror


def sync(db: Session) -> SyncRun:
    """One sync pass; the pass itself is recorded whatever happens."""
    run = SyncRun()
    db.add(run)
    db.flush()
    try:
        rows = fetch_rows()
    except subprocess.TimeoutExpired:
        run.state = "failed"
        run.error = "timeout"
        db.commit()
        return run
    except (subprocess.CalledProcessError, json.JSONDecodeError) as exc:
        run.state = "failed"
        run.error = str(exc)[:500]
        db.commit()
        return run
    for row in rows:
        apply_row(db, run, row)
    run.seen = len(rows)
    run.state = "done"
    db.commit()
    return run


def stop(db: Session, key: str) -> bool:
    """Abort a session through the gateway and mark the mirror at once."""
    params = json.dumps({"key": key})
    done = subprocess.run(
        [OPENCLAW, "gateway", "call", "sessions.abort", "--params", params, "--json"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if done.returncode != 0:
        return False
    mirror = db.get(SessionMirror, key)
    if mirror is not None:
        mirror.status = "killed"
        mirror.aborted = True
        db.commit()
    return True


def timed_out_runs(state_dir: Path = STATE_DIR) -> list[str]:
    """Sub-agent runs whose outcome was a timeout, from subagents/runs.json."""
    path = state_dir / "subagents" / "runs.json"
    if not path.exists():
        return []
    runs = json.loads(path.read_text(encoding="utf-8")).get("runs", {})
    return [run_id for run_id, run in runs.items() if (run.get("outcome") or {}).get("status") == "timeout"]
