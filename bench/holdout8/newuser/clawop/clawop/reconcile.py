"""One reconcile pass per spec; `run_forever` is the controller loop."""

from __future__ import annotations

import json
import logging
import subprocess
import time
from pathlib import Path

from .observe import Observed, count_at_rest, observe
from .spec import ActionOutcome, Condition, SessionSpec, SpecStatus, load_all

log = logging.getLogger("clawop")

STATUS_FILE = Path("clawop-status.json")


def _start_turn(spec: SessionSpec) -> ActionOutcome:
    proc = subprocess.run(
        ["openclaw", "agent", "--session-key", spec.session_key,
         "--message", spec.prompt, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        log.warning("turn for %s did not start: %s", spec.name, proc.stderr.strip())
        return "failed"
    return "done"


def reconcile_one(spec: SessionSpec, seen: Observed | None, status: SpecStatus) -> SpecStatus:
    if seen is None:
        status.phase = "Reconciling"
        status.last_outcome = _start_turn(spec)
        status.set_condition(Condition("Exists", "False", "NotFound", "no row yet; first turn sent"))
        return status
    if seen.acp_state == "running":
        # An ACP harness owns the session right now; leave it be.
        status.last_outcome = "requeued"
        return status
    match seen.status:
        case "running" | "queued":
            status.phase = "Ready"
            status.last_outcome = "skipped"
        case "done":
            status.phase = "Ready"
            status.restarts = 0
            status.last_outcome = "skipped"
            status.set_condition(Condition("LastRunSucceeded", "True", "Done"))
        case "killed" if not spec.restart_after_kill:
            status.phase = "Degraded"
            status.last_outcome = "skipped"
            status.set_condition(Condition("LastRunSucceeded", "False", "StoppedByUser", "restartAfterKill is off"))
        case s if s in spec.restart_on:
            if status.restarts >= spec.max_restarts:
                status.phase = "Degraded"
                status.last_outcome = "skipped"
                status.set_condition(Condition("RestartBudget", "False", "Exhausted", f"last status {s}"))
            else:
                status.phase = "Reconciling"
                status.restarts += 1
                status.last_outcome = _start_turn(spec)
        case _:
            status.phase = "Pending"
            status.last_outcome = "skipped"
    if status.last_outcome == "failed":
        status.set_condition(Condition("TurnStarted", "False", "CliError"))
    return status


def pass_once(specs: list[SessionSpec], statuses: dict[str, SpecStatus]) -> None:
    by_agent: dict[str, list[SessionSpec]] = {}
    for spec in specs:
        by_agent.setdefault(spec.agent_id, []).append(spec)
    for agent_id, group in by_agent.items():
        seen = observe(agent_id, [s.session_key for s in group])
        for spec in group:
            statuses[spec.name] = reconcile_one(spec, seen.get(spec.session_key), statuses.get(spec.name, SpecStatus()))
        resting = count_at_rest(agent_id)
        log.info("agent %s: %d stopped, %d ran out of time", agent_id, resting.get("killed", 0), resting.get("timeout", 0))
    STATUS_FILE.write_text(
        json.dumps({name: {"phase": st.phase, "restarts": st.restarts, "lastOutcome": st.last_outcome}
                    for name, st in statuses.items()}, indent=2),
        encoding="utf-8",
    )


def run_forever(spec_dir: Path, interval: float = 30.0) -> None:
    statuses: dict[str, SpecStatus] = {}
    while True:
        pass_once(load_all(spec_dir), statuses)
        failed = [n for n, st in statuses.items() if st.last_outcome == "failed"]
        if failed:
            log.warning("actions that failed this pass: %s", ", ".join(failed))
        time.sleep(interval)
