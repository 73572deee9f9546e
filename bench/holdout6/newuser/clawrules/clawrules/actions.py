"""What a matched rule does."""

from __future__ import annotations

import json
import logging
import subprocess
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

from .defaults import SEVERITY
from .engine import Rule, pluck

log = logging.getLogger(__name__)

# a session can be archived once its last run has ended
ARCHIVABLE = ("done", "failed", "timeout", "killed")


def _subject(row: dict[str, Any]) -> str:
    return str(row.get("key") or row.get("runId") or row.get("id") or row.get("taskId") or "?")


def notify(rule: Rule, row: dict[str, Any], hook_url: str | None) -> None:
    value = pluck(row, rule.field)
    text = f"[{SEVERITY.get(value, 'info')}] {rule.name}: {_subject(row)} {rule.field}={value}"
    if not hook_url:
        print(text)
        return
    req = urllib.request.Request(
        hook_url, data=json.dumps({"text": text}).encode(), headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(req, timeout=10).close()


def archive(rule: Rule, row: dict[str, Any], hook_url: str | None) -> None:
    if rule.source != "sessions":
        raise ValueError(f"rule {rule.name!r}: only sessions can be archived")
    if row.get("status") not in ARCHIVABLE:
        log.info("%s: still %s, not archived", row.get("key"), row.get("status"))
        return
    args = ["openclaw", "sessions", "archive", row["key"], "--json"]
    if row.get("agentId"):
        args += ["--agent", row["agentId"]]
    subprocess.run(args, capture_output=True, text=True, timeout=60, check=True)


def ignore(rule: Rule, row: dict[str, Any], hook_url: str | None) -> None:
    log.debug("%s: %s ignored", rule.name, _subject(row))


HANDLERS: dict[str, Callable[[Rule, dict[str, Any], str | None], None]] = {
    "notify": notify,
    "archive": archive,
    "ignore": ignore,
}


def run(matched: Iterable[tuple[Rule, dict[str, Any]]], hook_url: str | None = None) -> int:
    count = 0
    for rule, row in matched:
        HANDLERS[rule.action](rule, row, hook_url)
        count += 1
    return count
