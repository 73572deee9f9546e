"""clawcost: what the agents' runs cost, and how much of it bought nothing."""
