"""Questions asked of a tape: which sessions ended how, and how long they ran."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from clawtape.record import SETTLED


def load(root: Path) -> pa.Table:
    if any(root.glob("*.csv")):
        rows: list[dict[str, str]] = []
        for path in sorted(root.glob("*.csv")):
            with path.open(newline="", encoding="utf-8") as fh:
                rows.extend(csv.DictReader(fh))
        return pa.Table.from_pylist(rows)
    return ds.dataset(root, format="parquet").to_table()


def last_state(table: pa.Table) -> pa.Table:
    """The last recorded row of each session key."""
    ordered = table.sort_by([("key", "ascending"), ("seq", "descending")])
    keys = ordered.column("key").to_pylist()
    keep = [i for i, k in enumerate(keys) if i == 0 or keys[i - 1] != k]
    return ordered.take(pa.array(keep))


def ended_badly(table: pa.Table) -> pa.Table:
    status = pc.cast(table["status"], pa.string())
    return table.filter(pc.is_in(status, value_set=pa.array(["failed", "timeout", "killed"])))


def stopped_by_user(table: pa.Table) -> int:
    status = pc.cast(table["status"], pa.string())
    return pc.sum(pc.and_(pc.equal(status, "killed"), table["aborted"])).as_py() or 0


def runtime_by_status(table: pa.Table) -> dict[str, float]:
    grouped = table.group_by("status").aggregate([("runtime_ms", "mean")])
    return {str(s): (m or 0) / 1000 for s, m in zip(grouped["status"].to_pylist(), grouped["runtime_ms_mean"].to_pylist())}


def flaps(root: Path) -> dict[str, int]:
    """How often a key went back to running after it had settled."""
    table = load(root).sort_by([("key", "ascending"), ("seq", "ascending")])
    count: dict[str, int] = defaultdict(int)
    prev: dict[str, str | None] = {}
    for key, status in zip(table["key"].to_pylist(), pc.cast(table["status"], pa.string()).to_pylist()):
        if status == "running" and prev.get(key) in SETTLED:
            count[key] += 1
        prev[key] = status
    return dict(count)


def summary(root: Path) -> str:
    table = last_state(load(root))
    statuses = Counter(pc.cast(table["status"], pa.string()).to_pylist())
    lines = [f"{len(table)} sessions on tape"]
    lines.append(f"  finished cleanly: {statuses.get('done', 0)}")
    lines.append(f"  ended badly: {len(ended_badly(table))} (stopped by a user: {stopped_by_user(table)})")
    for status, secs in sorted(runtime_by_status(table).items()):
        lines.append(f"  mean runtime {status}: {secs:.1f}s")
    return "\n".join(lines)
