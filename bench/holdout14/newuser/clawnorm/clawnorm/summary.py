"""The morning summary the team reads in chat."""

from __future__ import annotations

from collections import Counter

from . import stores


def morning() -> str:
    lines = []
    for agent in stores.agents():
        es = list(stores.entries(agent))
        counts = Counter(e.status for e in es)
        lines.append(
            "%s: %d finished, %d errored, %d out of time, %d stopped"
            % (agent, counts["done"], counts["failed"], counts["timeout"], counts["killed"])
        )
        bad = [e for e in es if e.ended_badly]
        for e in sorted(bad, key=lambda e: e.ended_at or 0, reverse=True)[:5]:
            lines.append("  " + e.key + "  " + (e.status or ""))
        user = sum(1 for e in es if e.stopped_by_user)
        if user:
            lines.append("  stopped by a user: %d" % user)
        acp = [e.key for e in es if e.acp_broken]
        if acp:
            lines.append("  ACP sessions in error: " + ", ".join(acp))
        intents = stores.open_intents(agent)
        if intents:
            lines.append("  open standing intents: %d" % len(intents))
    return "\n".join(lines)
