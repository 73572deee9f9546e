"""Feed the ledger: poll sessions_list, diff against the projection, append events.

    python -m clawledger.ingest --log ~/.local/share/clawledger/events.jsonl

One tick = one pass over every page of sessions_list (``POST /tools/invoke``),
plus the outcomes of subagent runs from ``subagents/runs.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Literal

from .events import Event, Kind, Log, observed, run_ended
from .project import needs_ticket, sessions, tickets
from .table import ENDED

GATEWAY = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")
STATE_DIR = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))

# How one tick went, for the log line and the exit code of --once.
TickResult = Literal["ok", "partial", "timeout", "failed"]


def _invoke(tool: str, args: dict[str, Any], timeout: float = 15.0) -> dict[str, Any]:
    body = json.dumps({"tool": tool, "args": args}).encode()
    req = urllib.request.Request(
        f"{GATEWAY}/tools/invoke", data=body, method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        payload = json.load(resp)
    if not payload.get("ok"):
        raise RuntimeError(payload.get("error", {}).get("message", "tool call refused"))
    result = payload["result"]
    details = result.get("details")
    if isinstance(details, dict):
        return details
    return json.loads(result["content"][0]["text"])


def list_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = _invoke("sessions_list", {"limit": 200, "offset": offset})
        rows.extend(page.get("sessions", []))
        if not page.get("hasMore"):
            return rows
        offset = page.get("nextOffset", offset + 200)


def subagent_runs() -> dict[str, dict[str, Any]]:
    path = STATE_DIR / "subagents" / "runs.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("runs", {})
    except FileNotFoundError:
        return {}


def abort(key: str) -> Event:
    """Ask the gateway to stop a session; the event records that we asked."""
    subprocess.run(
        ["openclaw", "gateway", "call", "sessions.abort", "--params", json.dumps({"key": key}), "--json"],
        check=True, capture_output=True, timeout=30,
    )
    return Event(Kind.ABORT_REQUESTED, key)


def tick(log: Log, *, stop_expired_children: bool = False) -> TickResult:
    history = list(log.replay())
    views = sessions(history)
    open_tickets = tickets(history)
    new: list[Event] = []
    try:
        rows = list_rows()
    except (TimeoutError, urllib.error.URLError) as exc:
        reason = getattr(exc, "reason", exc)
        return "timeout" if isinstance(reason, TimeoutError) else "failed"

    seen = set()
    for row in rows:
        seen.add(row["key"])
        known = views.get(row["key"])
        if known is None or known.status != row.get("status") or known.gone:
            new.append(observed(row))
    for key, view in views.items():
        if key not in seen and not view.gone:
            new.append(Event(Kind.VANISHED, key, view.status))

    result: TickResult = "ok"
    seen_runs = {e.data.get("runId") for e in history if e.kind is Kind.RUN_ENDED}
    for run_id, run in subagent_runs().items():
        outcome = (run.get("outcome") or {}).get("status")
        if outcome and run_id not in seen_runs:
            new.append(run_ended(run_id, run))
            child = views.get(run.get("childSessionKey") or "")
            if stop_expired_children and outcome == "timeout" and child and child.status not in ENDED:
                try:
                    new.append(abort(child.key))
                except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                    result = "partial"

    log.append(new)
    # Tickets are decided on the projection including this tick's events,
    # only for the sessions that moved in it.
    history.extend(new)
    views = sessions(history)
    for key in sorted({e.key for e in new if e.key in views}):
        view = views[key]
        reason = needs_ticket(view, open_tickets)
        if reason:
            log.append([Event(Kind.TICKET, key, view.status, data={"action": "open", "reason": reason})])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(prog="clawledger.ingest")
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--every", type=float, default=30.0)
    parser.add_argument("--once", action="store_true")
    parser.add_argument("--stop-expired-children", action="store_true")
    args = parser.parse_args()
    log = Log(args.log.expanduser())
    while True:
        result = tick(log, stop_expired_children=args.stop_expired_children)
        print(time.strftime("%H:%M:%S"), result, flush=True)
        if args.once:
            return 0 if result == "ok" else 1
        time.sleep(args.every)


if __name__ == "__main__":
    raise SystemExit(main())
