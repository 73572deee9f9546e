"""The digest's text: counts, the sessions worth a look, and the rest in one line each."""

from __future__ import annotations

import itertools
import string
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from .collect import Snapshot

# How each session status reads in the mail, most worrying first.
WORDING = {
    "failed": "failed with an error",
    "timeout": "hit its time limit",
    "killed": "was stopped",
    "running": "is still running",
    "queued": "is waiting to start",
    "done": "finished",
}
ORDER = list(WORDING)

# Background tasks that did not succeed (openclaw tasks list).
TASK_TROUBLE = ("failed", "timed_out", "lost")

TEMPLATE = string.Template("""\
OpenClaw digest for $day

Sessions: $session_counts
$attention

Background tasks: $task_counts
Automations with an error last run: $automation_errors
Subagent runs that timed out: $runs_timed_out
$errors""")


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{n} {k}" for k, n in counter.most_common()) or "none"


def attention(rows: list[dict[str, Any]]) -> str:
    worth = [r for r in rows if r.get("status") in ("failed", "timeout", "killed")]
    if not worth:
        return "Nothing needs a look."
    worth.sort(key=lambda r: (ORDER.index(r["status"]), r.get("agentId", ""), r["key"]))
    lines = ["Worth a look:"]
    for agent, group in itertools.groupby(worth, key=lambda r: r.get("agentId", "?")):
        for r in group:
            lines.append(f"  [{agent}] {r['key']} {WORDING[r['status']]}")
    return "\n".join(lines)


def render(snap: Snapshot, now: datetime | None = None) -> tuple[str, str]:
    now = now or datetime.now(timezone.utc)
    by_status = Counter(r.get("status") or "unknown" for r in snap.sessions)
    tasks = Counter(t.get("status", "unknown") for t in snap.tasks)
    runs_timed_out = sum(1 for r in snap.runs if (r.get("outcome") or {}).get("status") == "timeout")
    body = TEMPLATE.substitute(
        day=now.strftime("%A %d %B"),
        session_counts=_counts(by_status),
        attention=attention(snap.sessions),
        task_counts=_counts(tasks) + (f" ({sum(tasks[s] for s in TASK_TROUBLE)} not ok)" if tasks else ""),
        automation_errors=sum(1 for j in snap.automations if j.get("status") == "error"),
        runs_timed_out=runs_timed_out,
        errors=("Could not read: " + "; ".join(snap.errors)) if snap.errors else "",
    )
    bad = by_status["failed"] + by_status["timeout"]
    subject = f"OpenClaw: {bad} session(s) need a look" if bad else "OpenClaw: all quiet"
    return subject, body
