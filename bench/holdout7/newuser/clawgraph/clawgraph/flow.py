"""The triage graph: look a session up, decide what its last run needs, do it."""

from __future__ import annotations

import sys

from clawgraph import gateway
from clawgraph.engine import END, Graph, State, failed_steps

graph = Graph()

# Where a session goes next, by the status of its last run.
NEXT_BY_STATUS = {
    "running": "wait",
    "queued": "wait",
    "done": "summarise",
    "failed": "diagnose",
    "timeout": "diagnose",
    "killed": END,
}


@graph.node("lookup")
def lookup(state: State) -> State:
    row = gateway.find_session(state["key"])
    if row is None:
        return {"status": None, "note": "no such session"}
    return {"status": row.get("status"), "row": row}


def route_after_lookup(state: State) -> str:
    if state.get("status") is None:
        return END
    return NEXT_BY_STATUS.get(state["status"], END)


@graph.node("wait")
def wait(state: State) -> State:
    waits = state.get("waits", 0) + 1
    row = gateway.find_session(state["key"]) or {}
    return {"status": row.get("status"), "waits": waits}


def route_after_wait(state: State) -> str:
    if state.get("waits", 0) >= 10:
        return END
    return NEXT_BY_STATUS.get(state.get("status"), END)


@graph.node("diagnose")
def diagnose(state: State) -> State:
    match state["status"]:
        case "timeout":
            reason = "the run hit its time limit"
        case "failed":
            reason = (state.get("row") or {}).get("lastRunError") or "the run errored"
        case other:
            reason = f"unexpected {other}"
    children = state.get("child_runs") or []
    bad_children: list[str] = []
    if children:
        waited = gateway.wait_children(children)
        bad_children = [c["runId"] for c in waited.get("completed", []) if c.get("status") in ("failed", "killed")]
    # A command the agent left in the background may be what the run died on.
    procs = gateway.processes(state["key"])
    cut_off = [p.get("sessionId") for p in procs if p.get("status") in ("failed", "killed")]
    return {"reason": reason, "bad_children": bad_children, "processes": cut_off}


@graph.node("summarise")
def summarise(state: State) -> State:
    card = gateway.session_status(state["key"])
    return {"summary": card.get("text") or card.get("status")}


graph.branch("lookup", route_after_lookup)
graph.branch("wait", route_after_wait)
graph.edge("diagnose", END)
graph.edge("summarise", END)


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m clawgraph.flow SESSION_KEY [CHILD_RUN_ID ...]", file=sys.stderr)
        return 2
    final, trail = graph.run({"key": argv[0], "child_runs": argv[1:]})
    for step in trail:
        print(f"{step.node:10} {step.status:8} {step.seconds:.2f}s {step.error or ''}")
    print(f"{final['key']}: {final.get('status')} {final.get('reason') or final.get('summary') or ''}")
    if failed_steps(trail):
        return 1
    return 0 if final.get("status") == "done" else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
