"""Match each session against the policy's rules and run the actions."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from . import sources


@dataclass
class Decision:
    key: str
    status: str
    action: str
    result: str = "skipped"


def _age_minutes(row: dict) -> float:
    ended = row.get("endedAt") or row.get("updatedAt") or 0
    return (time.time() * 1000 - ended) / 60000


def decide(policy: dict, rows: list[dict], attempts: Counter) -> list[Decision]:
    out = []
    for row in rows:
        status = row.get("status")
        if status == "running" or status == "done":
            continue
        if status not in policy["match_statuses"]:
            continue
        rule = policy["rules"].get(status)
        if rule is None:
            continue
        if _age_minutes(row) < rule.get("after_minutes", 0):
            continue
        if attempts[row["key"]] >= rule.get("max_attempts", 1):
            out.append(Decision(row["key"], status, "report"))
            continue
        out.append(Decision(row["key"], status, rule["action"]))
    return out


def act(decisions: list[Decision], attempts: Counter) -> list[Decision]:
    for d in decisions:
        if d.action == "nudge":
            d.result = sources.nudge(d.key, "The last run did not finish. Please continue.")
            attempts[d.key] += 1
        elif d.action == "ignore":
            d.result = "skipped"
        else:
            d.result = "done"
    return decisions


def report(policy: dict, decisions: list[Decision]) -> str:
    lines = [f"{d.key}: {d.status} -> {d.action} ({d.result})" for d in decisions]
    nudged_bad = [d for d in decisions if d.action == "nudge" and d.result == "failed"]
    if nudged_bad:
        lines.append(f"{len(nudged_bad)} nudges did not go through")
    stops = [d for d in decisions if d.status == "killed"]
    if stops:
        lines.append(f"{len(stops)} sessions stopped by a user, left alone")
    wanted = set(policy["subagents"]["report"])
    for run in sources.subagent_runs():
        outcome = (run.get("outcome") or {}).get("status")
        if outcome in wanted:
            lines.append(f"sub-agent run {run.get('runId')}: {outcome}")
        if outcome == "timeout":
            lines.append("  (it ran out of time; its session may still be fine)")
    return "\n".join(lines)
