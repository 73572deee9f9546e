"""The host: finds plugins, polls OpenClaw, and calls the hooks."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pluggy

from . import builtin, hookspecs

log = logging.getLogger(__name__)

STATE_DIR = Path(os.environ.get("OPENCLAW_STATE_DIR", Path.home() / ".openclaw"))

# A run has stopped once its session shows one of these.
SETTLED = ("done", "failed", "timeout", "killed")


def plugin_manager(config: dict[str, Any]) -> pluggy.PluginManager:
    """The manager with the host's hooks, the built-in plugins and every installed one."""
    pm = pluggy.PluginManager("clawplug")
    pm.add_hookspecs(hookspecs)
    for plugin in builtin.defaults(config):
        pm.register(plugin, name=getattr(plugin, "name", None))
    pm.load_setuptools_entrypoints("clawplug")
    for name in config.get("disable", []):
        pm.set_blocked(name)
    pm.hook.clawplug_configure(config=config)
    return pm


def load_config(path: Path = Path("pyproject.toml")) -> dict[str, Any]:
    """``[tool.clawplug]`` of the project file, empty when there is none."""
    if not path.exists():
        return {}
    return tomllib.loads(path.read_text()).get("tool", {}).get("clawplug", {})


def session_rows() -> list[dict[str, Any]]:
    """Every session of every agent, as ``openclaw sessions --json`` lists them."""
    out = subprocess.run(
        ["openclaw", "sessions", "--all-agents", "--limit", "all", "--json"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout
    return json.loads(out).get("sessions", [])


def ended_runs(seen: set[str]) -> list[dict[str, Any]]:
    """Subagent runs with an outcome that ``seen`` does not hold yet."""
    path = STATE_DIR / "subagents" / "runs.json"
    if not path.exists():
        return []
    runs = json.loads(path.read_text()).get("runs", {})
    fresh = [dict(run, runId=run_id) for run_id, run in runs.items()
             if run.get("outcome") and run_id not in seen]
    seen.update(r["runId"] for r in fresh)
    return fresh


class Host:
    """Remembers the statuses of the last cycle, so that it calls hooks on changes only."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.pm = plugin_manager(config)
        self.previous: dict[str, str | None] = {}
        self.seen_runs: set[str] = set()
        self.calls: Counter[hookspecs.CallState] = Counter()

    def _call(self, hook: Any, **kwargs: Any) -> Any:
        try:
            result = hook(**kwargs)
        except Exception:  # a broken plugin must not stop the others' next cycle
            log.exception("plugin hook %s raised", hook.name)
            self.calls["failed"] += 1
            return None
        self.calls["done"] += 1
        return result

    def cycle(self) -> Counter[str]:
        """One look at the sessions and at the subagent runs."""
        summary: Counter[str] = Counter()
        for row in session_rows():
            status = row.get("status")
            summary[status or "none"] += 1
            before = self.previous.get(row["key"])
            self.previous[row["key"]] = status
            if status not in SETTLED or status == before:
                continue
            self._call(self.pm.hook.session_settled, row=row, previous=before)
            action = self._call(self.pm.hook.classify, row=row) or "ignore"
            log.info("%s settled as %s: %s", row["key"], status, action)
        for run in ended_runs(self.seen_runs):
            self._call(self.pm.hook.subagent_run_ended, run=run)
        self._call(self.pm.hook.report, summary=dict(summary))
        return summary
