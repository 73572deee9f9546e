"""The nightly DAG: ``python -m clawdag.dags``."""

from __future__ import annotations

import json
import sys

from clawdag.core import DAG, TaskState, summary
from clawdag.operators import BackfillStatusOperator, CountEndedOperator, PruneRunsOperator, SessionStatusSensor

nightly = DAG("openclaw_nightly")

wait_main = SessionStatusSensor(
    task_id="wait_main_idle",
    agent="main",
    key="agent:main:main",
    target_statuses=("done", "failed", "killed", "timeout"),
    poke_interval=60,
    timeout=2 * 3600,
)
backfill = BackfillStatusOperator(task_id="backfill_status", retries=1)
count = CountEndedOperator(task_id="count_ended", trigger_rule="all_done")
prune = PruneRunsOperator(task_id="prune_runs", days=30, outcomes=("timeout",), trigger_rule="all_done")

wait_main >> backfill >> count
backfill >> prune
nightly.add(wait_main, backfill, count, prune)


def main() -> int:
    results = nightly.run()
    ended = results["count_ended"].result or {}
    print(json.dumps({"tasks": summary(results), "sessions_ended": ended}, indent=2))
    if ended.get("failed", 0) > 20:
        print("more than 20 sessions ended failed: look at the model provider", file=sys.stderr)
    return 1 if any(ti.state == TaskState.FAILED for ti in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
