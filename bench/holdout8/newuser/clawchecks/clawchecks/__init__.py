"""clawchecks: health checks over an OpenClaw gateway, one class per check.

Subclass ``Check`` (or ``StatusShareCheck``), and the class registers itself;
``runner.main`` runs every registered check and exits 0, 1 or 2.
"""

from .base import REGISTRY, Check, CheckResult, Context, StatusShareCheck

__all__ = ["REGISTRY", "Check", "CheckResult", "Context", "StatusShareCheck"]
