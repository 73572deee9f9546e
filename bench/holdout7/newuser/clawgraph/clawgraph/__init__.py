"""clawgraph: a small state machine whose nodes look at OpenClaw sessions and act on them."""

from clawgraph.engine import END, Graph, StepRecord

__all__ = ["END", "Graph", "StepRecord"]
