"""What the gate tells GitHub: a step summary, annotations and outputs."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

ICONS = {
    "done": ":white_check_mark:",
    "failed": ":x:",
    "timeout": ":hourglass:",
    "killed": ":stop_sign:",
}

VERDICT_ICON = {"pass": ":green_circle:", "fail": ":red_circle:", "timeout": ":yellow_circle:"}


def annotate(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        level = "warning" if row.get("status") == "killed" else "error"
        print(f"::{level} title=OpenClaw session {row.get('status')}::{row['key']} ({row.get('label') or 'no label'})")


def table(bad: list[dict[str, Any]], total: int) -> str:
    counts = Counter(row.get("status") for row in bad)
    lines = ["| status | sessions |", "| --- | --- |"]
    for status, n in counts.most_common():
        lines.append(f"| {ICONS.get(status, '')} {status} | {n} |")
    lines.append(f"| all | {total} |")
    return "\n".join(lines)


def write(verdict: str, bad: list[dict[str, Any]], total: int) -> None:
    body = f"## {VERDICT_ICON[verdict]} OpenClaw eval gate: {verdict}\n\n" + table(bad, total) + "\n"
    if path := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(body)
    if path := os.environ.get("GITHUB_OUTPUT"):
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"verdict={verdict}\nbad={len(bad)}\ntotal={total}\n")
