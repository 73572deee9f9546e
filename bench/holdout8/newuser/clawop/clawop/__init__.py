"""clawop: a reconcile loop that keeps declared OpenClaw agent sessions healthy.

Desired state lives in ``sessions.d/*.json`` (one ``SessionSpec`` each); the
observed state is read from each agent's SQLite store; ``reconcile`` closes
the gap, one pass at a time, like a Kubernetes controller.
"""
