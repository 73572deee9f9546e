"""A graph of named nodes over a dict state, with conditional edges, in the manner of LangGraph."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

State = dict[str, Any]
Node = Callable[[State], State]
Router = Callable[[State], str]

END = "__end__"
StepStatus = Literal["done", "failed", "skipped"]


@dataclass
class StepRecord:
    node: str
    status: StepStatus
    seconds: float
    error: str | None = None


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[str, str] = field(default_factory=dict)
    routers: dict[str, Router] = field(default_factory=dict)
    entry: str | None = None
    max_steps: int = 50

    def node(self, name: str) -> Callable[[Node], Node]:
        def register(fn: Node) -> Node:
            self.nodes[name] = fn
            self.entry = self.entry or name
            return fn
        return register

    def edge(self, src: str, dst: str) -> None:
        self.edges[src] = dst

    def branch(self, src: str, router: Router) -> None:
        self.routers[src] = router

    def run(self, state: State) -> tuple[State, list[StepRecord]]:
        trail: list[StepRecord] = []
        current = self.entry
        while current and current != END and len(trail) < self.max_steps:
            began = time.monotonic()
            try:
                update = self.nodes[current](state)
            except Exception as exc:  # a node that raises ends the run, recorded
                trail.append(StepRecord(current, "failed", time.monotonic() - began, repr(exc)))
                break
            state = {**state, **update}
            trail.append(StepRecord(current, "done", time.monotonic() - began))
            current = self.routers[current](state) if current in self.routers else self.edges.get(current, END)
        return state, trail


def failed_steps(trail: list[StepRecord]) -> list[str]:
    return [s.node for s in trail if s.status == "failed"]
