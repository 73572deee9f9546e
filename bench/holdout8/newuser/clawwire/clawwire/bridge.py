"""The two RPCs: ListSessions and WaitRuns, served from POST /tools/invoke."""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Iterator

from .codes import BRIDGE_ERROR_BY_KIND, BridgeError, SessionStatus
from .messages import SETTLED_NAMES, ChildRunMessage, SessionMessage

GATEWAY = os.environ.get("OPENCLAW_GATEWAY_URL", "http://127.0.0.1:18789")
TOKEN = os.environ.get("OPENCLAW_GATEWAY_TOKEN", "")


class CallFailed(Exception):
    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail or kind)
        self.kind = kind

    @property
    def code(self) -> BridgeError:
        return BRIDGE_ERROR_BY_KIND.get(self.kind, BridgeError.GATEWAY_UNREACHABLE)


def _call(tool: str, args: dict[str, Any], timeout: float = 20.0) -> dict[str, Any]:
    body = json.dumps({"tool": tool, "args": args}).encode()
    req = urllib.request.Request(
        f"{GATEWAY}/tools/invoke",
        data=body,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            envelope = json.load(resp)
    except socket.timeout as exc:
        raise CallFailed("timeout", str(exc)) from exc
    except urllib.error.HTTPError as exc:
        raise CallFailed("refused" if exc.code in (401, 403, 404) else "bad_request", f"HTTP {exc.code}") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, socket.timeout):
            raise CallFailed("timeout", str(exc.reason)) from exc
        raise CallFailed("unreachable", str(exc.reason)) from exc
    result = envelope.get("result") or {}
    details = result.get("details")
    if isinstance(details, dict):
        return details
    content = result.get("content") or [{}]
    return json.loads(content[0].get("text") or "{}")


@dataclass
class ListSessionsRequest:
    # Status names as the gateway spells them; empty means every row.
    statuses: tuple[str, ...] = ()
    only_settled: bool = False
    search: str = ""


def _rows(search: str) -> Iterator[dict[str, Any]]:
    offset = 0
    while True:
        args: dict[str, Any] = {"limit": 200, "offset": offset}
        if search:
            args["search"] = search
        page = _call("sessions_list", args)
        yield from page.get("sessions", [])
        if not page.get("hasMore"):
            return
        offset = int(page.get("nextOffset") or offset + 200)


def list_sessions(request: ListSessionsRequest) -> tuple[list[bytes], BridgeError]:
    """ListSessions: encoded messages and a trailer code."""
    out: list[bytes] = []
    try:
        for row in _rows(request.search):
            status = row.get("status")
            if request.statuses and status not in request.statuses:
                continue
            if request.only_settled and status not in SETTLED_NAMES:
                continue
            out.append(SessionMessage.from_row(row).encode())
    except CallFailed as exc:
        return out, exc.code
    return out, BridgeError.OK


# What the incident service subscribes to: sessions whose last run went wrong.
INCIDENT_REQUEST = ListSessionsRequest(statuses=("failed", "timeout"))
# The janitor asks for stopped ones, to archive them after a day.
JANITOR_REQUEST = ListSessionsRequest(statuses=("killed",), only_settled=True)


def wait_runs(run_ids: list[str], timeout_ms: int = 30_000) -> tuple[list[ChildRunMessage], BridgeError]:
    """WaitRuns: the children agents_wait reports as completed."""
    try:
        answer = _call("agents_wait", {"ids": run_ids, "timeoutMs": timeout_ms}, timeout=timeout_ms / 1000 + 5)
    except CallFailed as exc:
        return [], exc.code
    children = [ChildRunMessage.from_wait(c) for c in answer.get("completed", [])]
    return children, BridgeError.OK


def summarize(messages: list[SessionMessage]) -> dict[str, int]:
    """Counts by wire number name, for the bridge's /debug page."""
    counts: dict[str, int] = {}
    for m in messages:
        name = SessionStatus(m.status).name.removeprefix("SESSION_STATUS_").lower()
        counts[name] = counts.get(name, 0) + 1
    return counts
