"""``python -m clawtape.record tape/``: one Parquet file per hour of ``sessions.changed``."""

from __future__ import annotations

import csv
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from clawtape.wire import Gateway, RecorderError

# Session statuses the tape keeps as they are; anything else is recorded as null
# so that a typo in a hand-edited store does not become a category of its own.
KNOWN_STATUSES = ("queued", "running", "done", "failed", "killed", "timeout")
# A row that reaches one of these has finished its run.
SETTLED = frozenset({"done", "failed", "killed", "timeout"})

SCHEMA = pa.schema([
    ("ts", pa.timestamp("ms", tz="UTC")),
    ("seq", pa.int64()),
    ("key", pa.string()),
    ("agent_id", pa.string()),
    ("status", pa.dictionary(pa.int8(), pa.string())),
    ("settled", pa.bool_()),
    ("runtime_ms", pa.int64()),
    ("aborted", pa.bool_()),
    ("model", pa.string()),
])


def to_record(event: dict[str, Any]) -> dict[str, Any] | None:
    """One tape row from a keyed ``sessions.changed`` event; a keyless one only invalidates."""
    payload = event.get("payload") or {}
    row = payload.get("session")
    if not isinstance(row, dict) or not row.get("key"):
        return None
    status = row.get("status")
    status = status if status in KNOWN_STATUSES else None
    return {
        "ts": datetime.now(timezone.utc),
        "seq": event.get("seq"),
        "key": row["key"],
        "agent_id": row.get("agentId"),
        "status": status,
        "settled": status in SETTLED,
        "runtime_ms": row.get("runtimeMs"),
        "aborted": bool(row.get("abortedLastRun")),
        "model": row.get("model"),
    }


class Tape:
    """Buffers rows and writes them as Parquet, or CSV where pyarrow cannot write."""

    def __init__(self, root: Path, flush_every: int = 200, fmt: str = "parquet") -> None:
        self.root, self.flush_every, self.fmt = root, flush_every, fmt
        self.rows: list[dict[str, Any]] = []
        self.last_flush: dict[str, Any] = {"state": "idle", "rows": 0}

    def add(self, rec: dict[str, Any]) -> None:
        self.rows.append(rec)
        if len(self.rows) >= self.flush_every or rec["status"] == "failed":
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        hour = datetime.now(timezone.utc).strftime("%Y%m%dT%H")
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            if self.fmt == "parquet":
                table = pa.Table.from_pylist(self.rows, schema=SCHEMA)
                pq.write_to_dataset(table, self.root, basename_template=f"{hour}-{{i}}-{time.time_ns()}.parquet")
            else:
                path = self.root / f"{hour}.csv"
                new = not path.exists()
                with path.open("a", newline="", encoding="utf-8") as fh:
                    writer = csv.DictWriter(fh, fieldnames=SCHEMA.names)
                    if new:
                        writer.writeheader()
                    writer.writerows(self.rows)
        except (OSError, pa.ArrowException) as exc:
            self.last_flush = {"state": "failed", "rows": len(self.rows), "error": str(exc)}
            print(f"tape: could not write {len(self.rows)} rows: {exc}", file=sys.stderr)
            return
        self.last_flush = {"state": "done", "rows": len(self.rows)}
        self.rows.clear()


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else "tape")
    tape = Tape(root, fmt="csv" if "--csv" in argv else "parquet")
    gw = Gateway()
    try:
        gw.open()
        roster = gw.subscribe()
        for row in roster.get("list", {}).get("sessions", []):
            rec = to_record({"payload": {"session": row}, "seq": 0})
            if rec:
                tape.add(rec)
        for event in gw.events():
            if event.get("event") != "sessions.changed":
                continue
            rec = to_record(event)
            if rec:
                tape.add(rec)
    except RecorderError as err:
        tape.flush()
        # A quiet gateway is no error: start again from cron.
        return 0 if err.kind == "timeout" else 1
    except KeyboardInterrupt:
        tape.flush()
        return 130
    finally:
        gw.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
