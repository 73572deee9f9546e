"""Ready-made filters built with functools.partial, used by the team's scripts."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial, reduce

from .records import ExecProcess, SessionRow


def with_status(status: str, rows: Iterable[SessionRow]) -> list[SessionRow]:
    return [row for row in rows if row.status == status]


def processes_with(status: str, procs: Iterable[ExecProcess]) -> list[ExecProcess]:
    return [proc for proc in procs if proc.status == status]


crashed = partial(with_status, "failed")
stopped = partial(with_status, "killed")
out_of_time = partial(with_status, "timeout")
killed_processes = partial(processes_with, "killed")


def worst(rows: Iterable[SessionRow]) -> SessionRow | None:
    """The row to look at first: a crash beats a timeout beats anything else."""
    rank = {"failed": 0, "timeout": 1}
    return reduce(
        lambda best, row: row if best is None or rank.get(row.status or "", 9) < rank.get(best.status or "", 9) else best,
        rows,
        None,
    )
