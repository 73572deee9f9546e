"""A nightly audit: what ended badly, kept in a JSON mirror beside the report."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from pydantic import TypeAdapter

from sessmodels.client import CallError, ToolsClient
from sessmodels.models import SessionRow

MIRROR = Path("var/sessions-mirror.json")
_rows = TypeAdapter(list[SessionRow])


def load_mirror(path: Path = MIRROR) -> dict[str, SessionRow]:
    if not path.exists():
        return {}
    return {row.key: row for row in _rows.validate_json(path.read_bytes())}


def save_mirror(rows: dict[str, SessionRow], path: Path = MIRROR) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_rows.dump_json(list(rows.values()), by_alias=True, indent=2))


def audit(gw: ToolsClient, mirror: dict[str, SessionRow]) -> Counter[str]:
    counts: Counter[str] = Counter()
    seen: set[str] = set()
    for row in gw.sessions(activeMinutes=24 * 60):
        seen.add(row.key)
        mirror[row.key] = row
        if row.ended_badly:
            counts[row.status or "?"] += 1
        if row.status == "failed" and row.aborted_last_run:
            print(f"{row.key}: failed after an abort, check the transcript", file=sys.stderr)
    # A row the mirror had as running that the gateway no longer lists was cut off.
    for key, old in list(mirror.items()):
        if key not in seen and old.status == "running":
            mirror[key] = old.model_copy(update={"status": "killed"})
    return counts


def retry_children(gw: ToolsClient, run_ids: list[str]) -> list[str]:
    waited = gw.wait(run_ids, timeout_s=120)
    again = [c.run_id for c in waited.completed if c.needs_retry]
    late = sum(1 for c in waited.completed if c.status == "timeout")
    if late:
        print(f"{late} child runs hit their time limit", file=sys.stderr)
    return again


def main() -> int:
    mirror = load_mirror()
    try:
        with ToolsClient() as gw:
            counts = audit(gw, mirror)
    except CallError as err:
        print(f"audit: {err}", file=sys.stderr)
        return 2 if err.kind == "timeout" else 1
    save_mirror(mirror)
    print(json.dumps({"ended_badly": dict(counts), "done": sum(1 for r in mirror.values() if r.status == "done")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
