"""Operators, task instances and a DAG runner, shaped after Airflow's but in one process."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any, ClassVar

log = logging.getLogger("clawdag")


class TaskState:
    """States of a task instance of this runner."""

    NONE = "none"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    UP_FOR_RETRY = "up_for_retry"
    UPSTREAM_FAILED = "upstream_failed"
    SKIPPED = "skipped"

    finished: ClassVar[frozenset[str]] = frozenset({SUCCESS, FAILED, UPSTREAM_FAILED, SKIPPED})


class SkipTask(Exception):
    """Raised by an operator that has nothing to do."""


class BaseOperator:
    template_fields: tuple[str, ...] = ()

    def __init__(self, task_id: str, retries: int = 0, retry_delay: float = 5.0, trigger_rule: str = "all_success") -> None:
        self.task_id = task_id
        self.retries = retries
        self.retry_delay = retry_delay
        self.trigger_rule = trigger_rule
        self.upstream: set[str] = set()

    def __rshift__(self, other: "BaseOperator") -> "BaseOperator":
        other.upstream.add(self.task_id)
        return other

    def execute(self, context: dict[str, Any]) -> Any:
        raise NotImplementedError


@dataclass
class TaskInstance:
    task_id: str
    state: str = TaskState.NONE
    tries: int = 0
    result: Any = None
    error: str | None = None


@dataclass
class DAG:
    dag_id: str
    tasks: dict[str, BaseOperator] = field(default_factory=dict)

    def add(self, *ops: BaseOperator) -> None:
        for op in ops:
            self.tasks[op.task_id] = op

    def _runnable(self, op: BaseOperator, done: dict[str, TaskInstance]) -> bool:
        states = [done[u].state for u in op.upstream]
        if op.trigger_rule == "all_done":
            return all(s in TaskState.finished for s in states)
        return all(s == TaskState.SUCCESS for s in states)

    def run(self, **context: Any) -> dict[str, TaskInstance]:
        order = TopologicalSorter({t: op.upstream for t, op in self.tasks.items()}).static_order()
        done: dict[str, TaskInstance] = {}
        for task_id in order:
            op = self.tasks[task_id]
            ti = done[task_id] = TaskInstance(task_id)
            if not self._runnable(op, done):
                ti.state = TaskState.UPSTREAM_FAILED
                continue
            while True:
                ti.tries += 1
                ti.state = TaskState.RUNNING
                try:
                    ti.result = op.execute({**context, "ti": ti, "results": {k: v.result for k, v in done.items()}})
                    ti.state = TaskState.SUCCESS
                except SkipTask:
                    ti.state = TaskState.SKIPPED
                except Exception as exc:
                    ti.error = repr(exc)
                    if ti.tries <= op.retries:
                        ti.state = TaskState.UP_FOR_RETRY
                        time.sleep(op.retry_delay)
                        continue
                    ti.state = TaskState.FAILED
                    log.exception("%s failed", task_id)
                break
        return done


def summary(results: dict[str, TaskInstance]) -> dict[str, int]:
    counts = {"success": 0, "failed": 0, "skipped": 0, "upstream_failed": 0}
    for ti in results.values():
        counts[ti.state] = counts.get(ti.state, 0) + 1
    return counts
